import type { Kysely, Transaction } from "kysely";
import type { Clock } from "../shared/clock.js";
import type { Build, BuildUpdate, Conclusion, Database, NewBuild } from "./schema.js";

export type Db = Kysely<Database> | Transaction<Database>;

export interface WorkerIdentity {
  /** Unique per process: host/pid/start time. */
  id: string;
  /** Same for every process of one machine and data directory. */
  host: string;
}

/** Inserts a build unless one with the same dedupe key exists (first event wins). */
export async function insertBuild(db: Db, build: NewBuild): Promise<Build | undefined> {
  return db
    .insertInto("builds")
    .values(build)
    .onConflict((oc) => oc.column("dedupe_key").doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function getBuild(db: Db, id: number): Promise<Build | undefined> {
  return db.selectFrom("builds").selectAll().where("id", "=", id).executeTakeFirst();
}

/**
 * Claims the oldest queued build in one statement that also records the worker and its
 * lease. On PostgreSQL the inner select skips rows another worker is claiming right now
 * (FOR NO KEY UPDATE SKIP LOCKED); SQLite serialises writers, so the statement is atomic there.
 */
export async function claimBuild(db: Db, clock: Clock, worker: WorkerIdentity, leaseMs: number, postgres: boolean): Promise<Build | undefined> {
  const now = clock.now();
  try {
    return await db
      .updateTable("builds")
      .set((eb) => ({
        status: "running",
        worker_id: worker.id,
        worker_host: worker.host,
        lease_expires_at: now + leaseMs,
        started_at: eb.fn.coalesce("started_at", eb.val(now)),
        attempt: eb("attempt", "+", 1),
      }))
      .where("id", "=", (eb) =>
        eb
          .selectFrom("builds as q")
          .select("q.id")
          .where("q.status", "=", "queued")
          // At most one deploy runs per repository and environment; later ones wait.
          .where((w) =>
            w.or([
              w("q.environment", "is", null),
              w.not(
                w.exists(
                  w
                    .selectFrom("builds as r")
                    .select("r.id")
                    .where("r.status", "=", "running")
                    .whereRef("r.repository_id", "=", "q.repository_id")
                    .whereRef("r.environment", "=", "q.environment"),
                ),
              ),
            ]),
          )
          .orderBy("q.queued_at")
          .orderBy("q.id")
          .limit(1)
          // NO KEY UPDATE, not UPDATE: a stalled worker's log write holds a KEY SHARE lock
          // on its build (the log chunk's foreign key), which FOR UPDATE would skip, so the
          // build it lost could not be taken over until that worker woke up.
          .$if(postgres, (q) => q.forNoKeyUpdate().skipLocked()),
      )
      .where("status", "=", "queued")
      .returningAll()
      .executeTakeFirst();
  } catch (error) {
    // Two workers started deploys to one environment at the same instant; the unique index
    // let one through. The other simply claims nothing this time.
    if (isUniqueViolation(error)) return undefined;
    throw error;
  }
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return e.code === "23505" || e.code === "SQLITE_CONSTRAINT_UNIQUE" || (typeof e.message === "string" && e.message.includes("builds_one_running_deploy"));
}

export interface HeartbeatResult {
  /** False when the lease was lost: another worker took the build over. */
  held: boolean;
  cancelRequested: boolean;
  cancelReason: string | null;
}

export async function heartbeat(db: Db, clock: Clock, buildId: number, workerId: string, leaseMs: number): Promise<HeartbeatResult> {
  const row = await db
    .updateTable("builds")
    .set({ lease_expires_at: clock.now() + leaseMs })
    .where("id", "=", buildId)
    .where("worker_id", "=", workerId)
    .where("status", "=", "running")
    .returning(["cancel_requested", "cancel_reason"])
    .executeTakeFirst();
  if (!row) return { held: false, cancelRequested: false, cancelReason: null };
  return { held: true, cancelRequested: row.cancel_requested === 1, cancelReason: row.cancel_reason };
}

export interface BuildOutcome {
  conclusion: Conclusion;
  title: string;
  exitCode: number | null;
  summary: string | null;
  annotations: string | null;
}

function finishedColumns(clock: Clock, outcome: BuildOutcome): BuildUpdate {
  return {
    status: "done",
    conclusion: outcome.conclusion,
    title: outcome.title,
    exit_code: outcome.exitCode,
    summary: outcome.summary,
    annotations: outcome.annotations,
    finished_at: clock.now(),
    lease_expires_at: null,
  };
}

/**
 * Every write to a claimed build is guarded by `worker_id = me`: a worker that was presumed
 * dead and comes back must not overwrite the attempt that replaced it.
 */
export async function finishBuild(db: Db, clock: Clock, buildId: number, workerId: string, outcome: BuildOutcome): Promise<Build | undefined> {
  return db
    .updateTable("builds")
    .set(finishedColumns(clock, outcome))
    .where("id", "=", buildId)
    .where("worker_id", "=", workerId)
    .where("status", "=", "running")
    .returningAll()
    .executeTakeFirst();
}

/** Finishes a build no worker holds (queued, waiting, or lost). */
export async function concludeUnclaimed(db: Db, clock: Clock, build: Build, outcome: BuildOutcome): Promise<Build | undefined> {
  return db
    .updateTable("builds")
    .set(finishedColumns(clock, outcome))
    .where("id", "=", build.id)
    .where("status", "=", build.status)
    .where((eb) => (build.worker_id === null ? eb("worker_id", "is", null) : eb("worker_id", "=", build.worker_id)))
    .returningAll()
    .executeTakeFirst();
}

/** Running builds whose lease lapsed, or (at start) this machine's builds from a dead process. */
export async function abandonedBuilds(db: Db, clock: Clock, host: string | null): Promise<Build[]> {
  let q = db.selectFrom("builds").selectAll().where("status", "=", "running");
  q = host === null ? q.where("lease_expires_at", "<", clock.now()) : q.where("worker_host", "=", host);
  return q.orderBy("id").execute();
}

/** Puts a lost build back in the queue, but only if nobody else touched it meanwhile. */
export async function requeueLost(db: Db, build: Build): Promise<boolean> {
  const result = await db
    .updateTable("builds")
    .set({ status: "queued", worker_id: null, lease_expires_at: null, process_group: null } satisfies BuildUpdate)
    .where("id", "=", build.id)
    .where("status", "=", "running")
    .where("worker_id", "=", build.worker_id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function setProcessGroup(db: Db, buildId: number, workerId: string, processGroup: number): Promise<void> {
  await db.updateTable("builds").set({ process_group: processGroup }).where("id", "=", buildId).where("worker_id", "=", workerId).execute();
}

export async function setCheckRunId(db: Db, buildId: number, checkRunId: number): Promise<void> {
  await db.updateTable("builds").set({ check_run_id: checkRunId }).where("id", "=", buildId).execute();
}

export async function countByStatus(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom("builds")
    .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
    .groupBy("status")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
