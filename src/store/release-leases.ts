import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/**
 * At start, frees the inbox and outbox rows that a dead process of this machine had
 * claimed, so they are not stuck until their lease lapses (a check run's reports wait
 * behind their first unsent row). `isDead` decides from the claimer's id; claimers are
 * few, so they are listed and filtered here rather than matched with LIKE.
 */
export async function releaseDeadClaims(db: Kysely<Database>, host: string, isDead: (claimer: string) => boolean): Promise<number> {
  const mine = (claimer: string | null): claimer is string => claimer !== null && claimer.startsWith(`${host}#`) && isDead(claimer);
  let released = 0;
  const outbox = await db.selectFrom("outbox").select("locked_by").distinct().where("done_at", "is", null).where("locked_by", "is not", null).execute();
  for (const { locked_by } of outbox) {
    if (!mine(locked_by)) continue;
    const r = await db.updateTable("outbox").set({ locked_by: null, locked_until: null }).where("locked_by", "=", locked_by).where("done_at", "is", null).executeTakeFirst();
    released += Number(r.numUpdatedRows);
  }
  const inbox = await db.selectFrom("deliveries").select("locked_by").distinct().where("status", "=", "processing").execute();
  for (const { locked_by } of inbox) {
    if (!mine(locked_by)) continue;
    const r = await db
      .updateTable("deliveries")
      .set({ status: "pending", locked_by: null, locked_until: null })
      .where("locked_by", "=", locked_by)
      .where("status", "=", "processing")
      .executeTakeFirst();
    released += Number(r.numUpdatedRows);
  }
  return released;
}
