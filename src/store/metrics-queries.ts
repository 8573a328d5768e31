import { type Kysely, sql } from "kysely";
import type { Database } from "./schema.js";

export interface BuildCounts {
  queued: number;
  running: number;
}

export async function liveBuildCounts(db: Kysely<Database>): Promise<BuildCounts> {
  const rows = await db
    .selectFrom("builds")
    .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
    .where("status", "in", ["queued", "running"])
    .groupBy("status")
    .execute();
  const count = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
  return { queued: count("queued"), running: count("running") };
}

export interface FinishedBuild {
  conclusion: string | null;
  started_at: number | null;
  finished_at: number;
}

/**
 * Builds that finished in (from, to], oldest first, at most `limit`. When the limit cuts
 * the list, rows sharing the last timestamp are left for the next call (`next` is where
 * to continue), so none is counted twice or skipped.
 */
export async function finishedBetween(db: Kysely<Database>, from: number, to: number, limit: number): Promise<{ rows: FinishedBuild[]; next: number }> {
  const rows = await db
    .selectFrom("builds")
    .select(["conclusion", "started_at", sql<number>`finished_at`.as("finished_at")])
    .where("status", "=", "done")
    .where("finished_at", ">", from)
    .where("finished_at", "<=", to)
    .orderBy("finished_at")
    .limit(limit)
    .execute();
  if (rows.length < limit) return { rows, next: to };
  const lastAt = Number(rows.at(-1)?.finished_at);
  const kept = rows.filter((r) => Number(r.finished_at) < lastAt);
  return kept.length > 0 ? { rows: kept, next: lastAt - 1 } : { rows, next: lastAt };
}

/** Queue waits of builds that started in (from, to]; same paging rule as finishedBetween. */
export async function startedBetween(db: Kysely<Database>, from: number, to: number, limit: number): Promise<{ waits: number[]; next: number }> {
  const rows = await db
    .selectFrom("builds")
    .select(["queued_at", sql<number>`started_at`.as("started_at")])
    .where("started_at", ">", from)
    .where("started_at", "<=", to)
    .orderBy("started_at")
    .limit(limit)
    .execute();
  const waits = (rs: typeof rows) => rs.map((r) => Math.max(0, Number(r.started_at) - Number(r.queued_at)));
  if (rows.length < limit) return { waits: waits(rows), next: to };
  const lastAt = Number(rows.at(-1)?.started_at);
  const kept = rows.filter((r) => Number(r.started_at) < lastAt);
  return kept.length > 0 ? { waits: waits(kept), next: lastAt - 1 } : { waits: waits(rows), next: lastAt };
}
