import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

export interface LogChunkWrite {
  buildId: number;
  seq: number;
  /** The chunk's bytes, in the pieces they arrived in (joined once, where they are stored). */
  data: readonly Uint8Array[];
  createdAt: number;
  /** Stored only while this worker holds the running build (null: unconditionally). */
  workerId: string | null;
}

/**
 * Appends a chunk of a build's log. With a `workerId`, only while that worker still holds
 * the build: a worker presumed dead whose build was taken over must not write into its
 * successor's log (nor collide with its chunk numbers). Returns whether it was stored.
 */
export async function appendLogChunk(db: Kysely<Database>, chunk: LogChunkWrite): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (chunk.workerId !== null) {
      const holder = await trx.selectFrom("builds").select("worker_id").where("id", "=", chunk.buildId).where("status", "=", "running").executeTakeFirst();
      if (holder?.worker_id !== chunk.workerId) return false;
    }
    await trx
      .insertInto("log_chunks")
      .values({ build_id: chunk.buildId, seq: chunk.seq, data: Buffer.concat(chunk.data), created_at: chunk.createdAt })
      .execute();
    return true;
  });
}

/** The sequence number a new attempt continues from, so attempts append to one log. */
export async function nextLogSeq(db: Kysely<Database>, buildId: number): Promise<number> {
  const row = await db
    .selectFrom("log_chunks")
    .select((eb) => eb.fn.max<number>("seq").as("max"))
    .where("build_id", "=", buildId)
    .executeTakeFirst();
  return row?.max === null || row?.max === undefined ? 0 : Number(row.max) + 1;
}

export interface LogChunk {
  seq: number;
  data: Buffer;
}

export async function readLogChunks(db: Kysely<Database>, buildId: number, afterSeq = -1, limit = 1000): Promise<LogChunk[]> {
  const rows = await db.selectFrom("log_chunks").select(["seq", "data"]).where("build_id", "=", buildId).where("seq", ">", afterSeq).orderBy("seq").limit(limit).execute();
  return rows.map((r) => ({ seq: Number(r.seq), data: Buffer.from(r.data) }));
}

/** The last chunks of a log holding at least `bytes` bytes (fewer if the log is shorter). */
export function readLogTail(db: Kysely<Database>, buildId: number, bytes: number): Promise<LogChunk[]> {
  return readLogBefore(db, buildId, 2 ** 31 - 1, bytes);
}

/**
 * The chunks just before `beforeSeq` holding at least `bytes` bytes (fewer at the log's
 * start), oldest first: the tail for a check run, or one "load earlier" step on the build
 * page. Reads in small batches so a 100 MB log is never loaded whole.
 */
export async function readLogBefore(db: Kysely<Database>, buildId: number, beforeSeq: number, bytes: number): Promise<LogChunk[]> {
  const out: LogChunk[] = [];
  let total = 0;
  let before = beforeSeq;
  while (total < bytes) {
    const rows = await db.selectFrom("log_chunks").select(["seq", "data"]).where("build_id", "=", buildId).where("seq", "<", before).orderBy("seq", "desc").limit(16).execute();
    if (rows.length === 0) break;
    for (const r of rows) {
      out.push({ seq: Number(r.seq), data: Buffer.from(r.data) });
      total += r.data.byteLength;
      before = Number(r.seq);
      if (total >= bytes) break;
    }
  }
  return out.reverse();
}

export async function logSize(db: Kysely<Database>, buildId: number): Promise<number> {
  const row = await db
    .selectFrom("log_chunks")
    .select((eb) => eb.fn.sum<number>(eb.fn("length", ["data"])).as("bytes"))
    .where("build_id", "=", buildId)
    .executeTakeFirst();
  return Number(row?.bytes ?? 0);
}
