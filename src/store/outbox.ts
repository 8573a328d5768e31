import type { Kysely, Transaction } from "kysely";
import type { Clock } from "../shared/clock.js";
import type { Database, OutboxRow } from "./schema.js";

type Db = Kysely<Database> | Transaction<Database>;

export interface OutboxEntry {
  key: string;
  kind: string;
  installationId: number;
  repository: string;
  buildId: number | null;
  payload: unknown;
}

export async function enqueueOutbox(db: Db, clock: Clock, entry: OutboxEntry): Promise<void> {
  const now = clock.now();
  await db
    .insertInto("outbox")
    .values({
      key: entry.key,
      kind: entry.kind,
      installation_id: entry.installationId,
      repository: entry.repository,
      build_id: entry.buildId,
      payload: JSON.stringify(entry.payload),
      next_attempt_at: now,
      created_at: now,
    })
    .execute();
}

/**
 * Claims the head of some key's queue: the oldest unsent row of its key, due now and not
 * leased by a live sender. Only heads are eligible, so rows of one key go out strictly in
 * order, while different keys (check runs) proceed independently.
 */
export async function claimOutbox(db: Db, clock: Clock, senderId: string, leaseMs: number, postgres: boolean): Promise<OutboxRow | undefined> {
  const now = clock.now();
  return db
    .updateTable("outbox")
    .set({ locked_by: senderId, locked_until: now + leaseMs, attempts: (eb) => eb("attempts", "+", 1) })
    .where("id", "=", (eb) =>
      eb
        .selectFrom("outbox as o")
        .select("o.id")
        .where("o.done_at", "is", null)
        .where("o.next_attempt_at", "<=", now)
        .where((w) => w.or([w("o.locked_until", "is", null), w("o.locked_until", "<", now)]))
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom("outbox as p").select("p.id").whereRef("p.key", "=", "o.key").where("p.done_at", "is", null).whereRef("p.id", "<", "o.id"))),
        )
        .orderBy("o.next_attempt_at")
        .orderBy("o.id")
        .limit(1)
        .$if(postgres, (q) => q.forUpdate().skipLocked()),
    )
    .where("done_at", "is", null)
    .returningAll()
    .executeTakeFirst();
}

export async function completeOutbox(db: Db, clock: Clock, id: number, senderId: string, failure: string | null): Promise<void> {
  await db
    .updateTable("outbox")
    .set({ done_at: clock.now(), failed: failure === null ? 0 : 1, last_error: failure, locked_by: null, locked_until: null })
    .where("id", "=", id)
    .where("locked_by", "=", senderId)
    .execute();
}

export async function retryOutbox(db: Db, clock: Clock, id: number, senderId: string, error: string, delayMs: number): Promise<void> {
  await db
    .updateTable("outbox")
    .set({ next_attempt_at: clock.now() + delayMs, last_error: error, locked_by: null, locked_until: null })
    .where("id", "=", id)
    .where("locked_by", "=", senderId)
    .execute();
}

export interface OutboxBacklog {
  pending: number;
  oldestCreatedAt: number | null;
}

export async function outboxBacklog(db: Db): Promise<OutboxBacklog> {
  const row = await db
    .selectFrom("outbox")
    .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.min<number>("created_at").as("oldest")])
    .where("done_at", "is", null)
    .executeTakeFirst();
  return { pending: Number(row?.n ?? 0), oldestCreatedAt: row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest) };
}

/** Earliest time a pending row becomes due, so an idle sender sleeps exactly that long. */
export async function nextOutboxDue(db: Db): Promise<number | null> {
  const row = await db
    .selectFrom("outbox")
    .select((eb) => eb.fn.min<number>("next_attempt_at").as("due"))
    .where("done_at", "is", null)
    .executeTakeFirst();
  return row?.due === null || row?.due === undefined ? null : Number(row.due);
}
