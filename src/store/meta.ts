import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/**
 * A server key that every process sharing the database agrees on (it signs build links),
 * created once: the insert races safely because the loser reads the winner's value.
 */
export async function sharedSecret(db: Kysely<Database>, name: string): Promise<string> {
  await db
    .insertInto("meta")
    .values({ key: name, value: randomBytes(32).toString("base64url") })
    .onConflict((oc) => oc.column("key").doNothing())
    .execute();
  const row = await db.selectFrom("meta").select("value").where("key", "=", name).executeTakeFirstOrThrow();
  return row.value;
}
