import { StringDecoder } from "node:string_decoder";
import type { Kysely } from "kysely";
import { utf8EndBoundary, utf8StartBoundary } from "../runner/utf8-boundary.js";
import { chunkStart, hasLogBefore } from "../store/log-ranges.js";
import { type LogChunk, readLogBefore, readLogTail } from "../store/logs.js";
import type { Database } from "../store/schema.js";
import { AnsiRenderer, ansiToHtml } from "./ansi-html.js";

/** How much of a log the browser gets at once: the page shows the tail, "load earlier" steps back. */
export const LOG_SLICE_BYTES = 256 * 1024;

export interface LogSlice {
  html: string;
  /** Sequence numbers of the first and last chunk shown; null for an empty log. */
  firstSeq: number | null;
  lastSeq: number | null;
  hasEarlier: boolean;
}

/**
 * A character split across two chunks belongs to the chunk holding its first byte. So a
 * slice drops the continuation bytes it starts with, and completes a character cut at its
 * end from the following chunk (when one exists yet; a live stream completes it later).
 */
async function renderSlice(db: Kysely<Database>, buildId: number, chunks: LogChunk[]): Promise<LogSlice> {
  const first = chunks[0];
  const last = chunks.at(-1);
  if (first === undefined || last === undefined) return { html: "", firstSeq: null, lastSeq: null, hasEarlier: false };
  let bytes = Buffer.concat(chunks.map((c) => c.data));
  const start = first.seq === 0 ? 0 : utf8StartBoundary(bytes, 0);
  const end = utf8EndBoundary(bytes, bytes.length);
  if (end < bytes.length) {
    const next = await chunkStart(db, buildId, last.seq + 1, 3);
    bytes = next === null ? bytes.subarray(0, end) : Buffer.concat([bytes, next.subarray(0, utf8StartBoundary(next, 0))]);
  }
  return {
    html: ansiToHtml(bytes.toString("utf8", start)),
    firstSeq: first.seq,
    lastSeq: last.seq,
    hasEarlier: first.seq > 0 && (await hasLogBefore(db, buildId, first.seq)),
  };
}

/** The end of the log, for the build page. */
export async function logTailSlice(db: Kysely<Database>, buildId: number, bytes = LOG_SLICE_BYTES): Promise<LogSlice> {
  return renderSlice(db, buildId, await readLogTail(db, buildId, bytes));
}

/** The part of the log just before chunk `beforeSeq`, for "load earlier". */
export async function logSliceBefore(db: Kysely<Database>, buildId: number, beforeSeq: number, bytes = LOG_SLICE_BYTES): Promise<LogSlice> {
  return renderSlice(db, buildId, await readLogBefore(db, buildId, beforeSeq, bytes));
}

/**
 * Renders the chunks that follow a slice, one by one, for the live stream: one decoder
 * and one colour state across them all. It starts with the bytes of a character the
 * slice's last chunk cut off (the slice left them out).
 */
export class LiveLogRenderer {
  private readonly decoder = new StringDecoder("utf8");
  private readonly ansi = new AnsiRenderer();

  static async after(db: Kysely<Database>, buildId: number, afterSeq: number): Promise<LiveLogRenderer> {
    const renderer = new LiveLogRenderer();
    if (afterSeq >= 0) {
      const previous = await chunkStart(db, buildId, afterSeq, Number.MAX_SAFE_INTEGER);
      if (previous !== null) renderer.decoder.write(previous.subarray(utf8EndBoundary(previous, previous.length)));
    }
    return renderer;
  }

  render(chunk: Buffer): string {
    return this.ansi.render(this.decoder.write(chunk));
  }
}
