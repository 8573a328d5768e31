import type { Kysely } from "kysely";
import type { Clock } from "../shared/clock.js";
import type { Database, Delivery } from "./schema.js";

export type PutResult = "inserted" | "duplicate";

/**
 * Claims the oldest delivery that is due. A claim is a lease: a process that dies while
 * planning leaves the row to be claimed again once `locked_until` passes.
 */
export async function claimDelivery(db: Kysely<Database>, clock: Clock, workerId: string, leaseMs: number, postgres: boolean): Promise<Delivery | undefined> {
  const now = clock.now();
  return db
    .updateTable("deliveries")
    .set({ status: "processing", locked_by: workerId, locked_until: now + leaseMs, attempts: (eb) => eb("attempts", "+", 1) })
    .where("id", "=", (eb) =>
      eb
        .selectFrom("deliveries")
        .select("id")
        .where((w) => w.or([w.and([w("status", "=", "pending"), w("next_attempt_at", "<=", now)]), w.and([w("status", "=", "processing"), w("locked_until", "<", now)])]))
        .orderBy("received_at")
        .orderBy("id")
        .limit(1)
        .$if(postgres, (q) => q.forUpdate().skipLocked()),
    )
    .returningAll()
    .executeTakeFirst();
}

export async function setDeliveryOutcome(db: Kysely<Database>, id: string, outcome: string): Promise<void> {
  await db.updateTable("deliveries").set({ outcome }).where("id", "=", id).execute();
}

export async function finishDelivery(db: Kysely<Database>, clock: Clock, id: string, workerId: string, outcome: string | null): Promise<void> {
  await db
    .updateTable("deliveries")
    .set((eb) => ({
      status: "done",
      processed_at: clock.now(),
      locked_by: null,
      locked_until: null,
      error: null,
      outcome: outcome === null ? eb.fn.coalesce("outcome", eb.val("ignored: no handler")) : eb.val(outcome),
    }))
    .where("id", "=", id)
    .where("locked_by", "=", workerId)
    .execute();
}

/** A failed attempt is stored as a value: retried later, or given up with the reason. */
export async function failDelivery(db: Kysely<Database>, clock: Clock, id: string, workerId: string, error: string, retryInMs: number | null): Promise<void> {
  await db
    .updateTable("deliveries")
    .set(
      retryInMs === null
        ? { status: "failed", processed_at: clock.now(), error, locked_by: null, locked_until: null }
        : { status: "pending", next_attempt_at: clock.now() + retryInMs, error, locked_by: null, locked_until: null },
    )
    .where("id", "=", id)
    .where("locked_by", "=", workerId)
    .execute();
}

export async function getDelivery(db: Kysely<Database>, id: string): Promise<Delivery | undefined> {
  return db.selectFrom("deliveries").selectAll().where("id", "=", id).executeTakeFirst();
}
