import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

// Each function deletes at most `batch` rows in one short statement, so pruning a month
// of history never holds the database (SQLite has one writer) long enough to stall
// intake: every statement is its own transaction and other writers go in between.

const deleted = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows);

/** Log chunks of one finished, expired build (a 100 MB log goes in several calls). */
export async function pruneLogChunks(db: Kysely<Database>, cutoff: number, batch: number): Promise<number> {
  const build = await db
    .selectFrom("builds")
    .select("id")
    .where("status", "=", "done")
    .where("finished_at", "<", cutoff)
    .where(({ exists, selectFrom }) => exists(selectFrom("log_chunks").select("seq").whereRef("log_chunks.build_id", "=", "builds.id")))
    .orderBy("finished_at")
    .limit(1)
    .executeTakeFirst();
  if (!build) return 0;
  const seqs = await db.selectFrom("log_chunks").select("seq").where("build_id", "=", build.id).orderBy("seq").limit(batch).execute();
  const last = seqs.at(-1)?.seq;
  if (last === undefined) return 0;
  return deleted(await db.deleteFrom("log_chunks").where("build_id", "=", build.id).where("seq", "<=", last).executeTakeFirst());
}

/** Finished builds past the cutoff whose log is already gone (so the cascade has nothing to do). */
export async function pruneBuilds(db: Kysely<Database>, cutoff: number, batch: number): Promise<number> {
  const result = await db
    .deleteFrom("builds")
    .where("id", "in", (eb) =>
      eb
        .selectFrom("builds as b")
        .select("b.id")
        .where("b.status", "=", "done")
        .where("b.finished_at", "<", cutoff)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom("log_chunks").select("seq").whereRef("log_chunks.build_id", "=", "b.id"))))
        .orderBy("b.id")
        .limit(batch),
    )
    .executeTakeFirst();
  return deleted(result);
}

/** Deliveries received before the cutoff and no longer being planned. */
export async function pruneDeliveries(db: Kysely<Database>, cutoff: number, batch: number): Promise<number> {
  const result = await db
    .deleteFrom("deliveries")
    .where("id", "in", (eb) =>
      eb.selectFrom("deliveries as d").select("d.id").where("d.received_at", "<", cutoff).where("d.status", "in", ["done", "failed"]).orderBy("d.received_at").limit(batch),
    )
    .executeTakeFirst();
  return deleted(result);
}

/** Outbox rows sent (or given up) before the cutoff; pending ones are never touched. */
export async function pruneOutbox(db: Kysely<Database>, cutoff: number, batch: number): Promise<number> {
  const result = await db
    .deleteFrom("outbox")
    .where("id", "in", (eb) => eb.selectFrom("outbox as o").select("o.id").where("o.done_at", "is not", null).where("o.done_at", "<", cutoff).orderBy("o.id").limit(batch))
    .executeTakeFirst();
  return deleted(result);
}

export async function pruneRejections(db: Kysely<Database>, cutoff: number, batch: number): Promise<number> {
  const result = await db
    .deleteFrom("rejected_requests")
    .where("id", "in", (eb) => eb.selectFrom("rejected_requests as r").select("r.id").where("r.received_at", "<", cutoff).orderBy("r.id").limit(batch))
    .executeTakeFirst();
  return deleted(result);
}
