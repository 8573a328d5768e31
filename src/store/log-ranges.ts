import type { Kysely } from "kysely";
import type { LogChunk } from "./logs.js";
import type { Database } from "./schema.js";

/**
 * The chunks just before `beforeSeq` holding at least `bytes` bytes (fewer at the log's
 * start), oldest first: one "load earlier" step on the build page. Reads in small
 * batches so a 100 MB log is never loaded whole.
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

/** Whether any chunk precedes `seq` (the page offers "load earlier" only then). */
export async function hasLogBefore(db: Kysely<Database>, buildId: number, seq: number): Promise<boolean> {
  const row = await db.selectFrom("log_chunks").select("seq").where("build_id", "=", buildId).where("seq", "<", seq).limit(1).executeTakeFirst();
  return row !== undefined;
}

/**
 * The first bytes of one chunk: a character split across two chunks is completed from
 * the next one. Reads the whole row (chunks are at most ~64 KB), which both dialects
 * serve the same way.
 */
export async function chunkStart(db: Kysely<Database>, buildId: number, seq: number, bytes: number): Promise<Buffer | null> {
  const row = await db.selectFrom("log_chunks").select("data").where("build_id", "=", buildId).where("seq", "=", seq).executeTakeFirst();
  return row ? Buffer.from(row.data).subarray(0, bytes) : null;
}
