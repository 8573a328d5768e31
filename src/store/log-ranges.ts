import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/** Whether any chunk precedes `seq` (the page offers "load earlier" only then). */
export async function hasLogBefore(db: Kysely<Database>, buildId: number, seq: number): Promise<boolean> {
  const row = await db.selectFrom("log_chunks").select("seq").where("build_id", "=", buildId).where("seq", "<", seq).limit(1).executeTakeFirst();
  return row !== undefined;
}

/**
 * The first bytes of one chunk: a character split across two chunks is completed from
 * the next one. Reads the whole row (chunks are at most ~320 KB), which both dialects
 * serve the same way.
 */
export async function chunkStart(db: Kysely<Database>, buildId: number, seq: number, bytes: number): Promise<Buffer | null> {
  const row = await db.selectFrom("log_chunks").select("data").where("build_id", "=", buildId).where("seq", "=", seq).executeTakeFirst();
  return row ? Buffer.from(row.data).subarray(0, bytes) : null;
}
