import type { Store } from "../store/database.js";
import { appendLogChunk, nextLogSeq } from "../store/logs.js";
import type { Clock } from "../shared/clock.js";
import { AnnotationCollector } from "./annotations.js";
import { LineSplitter } from "./line-splitter.js";
import { LogTail } from "./log-tail.js";
import { SecretMasker } from "./secret-masker.js";

const FLUSH_BYTES = 256 * 1024;
const FLUSH_MS = 200;
/** The check run shows at most 64 KB of text; keep a little more to cut on a line. */
const TAIL_BYTES = 96 * 1024;

/**
 * A build's output on its way to the database: batched into chunks (so the build page on
 * any machine can follow it), split into lines for annotations, and kept as a short tail
 * for the check run. Memory stays at a few chunks whatever the run prints: `write` returns
 * a promise while a flush is due, and the process pump waits for it.
 */
export interface BuildLogOptions {
  /** The worker holding the build; chunks are stored only while it does. */
  workerId: string;
  onChunk?: () => void;
  masker?: SecretMasker;
}

export class BuildLog {
  readonly tail = new LogTail(TAIL_BYTES);
  readonly annotations = new AnnotationCollector();
  private readonly lines = new LineSplitter();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private lost = false;

  private constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly buildId: number,
    private readonly o: BuildLogOptions,
    private readonly masker: SecretMasker,
  ) {}

  /**
   * Continues the build's log (a re-queued attempt appends to the first one's). Output is
   * masked before anything else sees it, so secrets reach neither the stored log, the
   * annotations nor the check run's text.
   */
  static async open(store: Store, clock: Clock, buildId: number, o: BuildLogOptions): Promise<BuildLog> {
    const log = new BuildLog(store, clock, buildId, o, o.masker ?? new SecretMasker([]));
    log.seq = await nextLogSeq(store.db, buildId);
    return log;
  }

  /**
   * Kickoff's own lines; they never become annotations. Output the masker still holds
   * back goes first, so the log keeps its order.
   */
  async note(text: string): Promise<void> {
    await this.releaseHeld();
    await this.append(Buffer.from(`\u001b[36m[kickoff]\u001b[0m ${text}\n`), false);
  }

  write(chunk: Buffer): Promise<void> | void {
    return this.append(this.masker.push(chunk), true);
  }

  async close(): Promise<void> {
    await this.releaseHeld();
    for (const line of this.lines.end()) this.annotations.push(line);
    await this.flush();
  }

  private async releaseHeld(): Promise<void> {
    const rest = this.masker.end();
    if (rest.length > 0) await this.append(rest, true);
  }

  private append(chunk: Buffer, fromRun: boolean): Promise<void> | void {
    if (fromRun) {
      if (this.lines.mayHoldCommand(chunk)) for (const line of this.lines.push(chunk)) this.annotations.push(line);
      else this.lines.skip(chunk);
    }
    this.tail.push(chunk);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= FLUSH_BYTES) return this.flush();
    this.timer ??= setTimeout(() => void this.flush().catch(() => {}), FLUSH_MS);
  }

  private flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pendingBytes === 0) return this.flushing;
    const data = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    const seq = this.seq++;
    // Chained so chunks land in order even when flushes overlap.
    this.flushing = this.flushing.then(async () => {
      if (this.lost) return;
      // Once another worker holds the build, this one's output goes nowhere.
      if (await appendLogChunk(this.store.db, this.clock, this.buildId, seq, data, this.o.workerId)) this.o.onChunk?.();
      else this.lost = true;
    });
    return this.flushing;
  }
}
