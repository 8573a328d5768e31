import type { Store } from "../store/database.js";
import { nextLogSeq } from "../store/logs.js";
import type { Clock } from "../shared/clock.js";
import { AnnotationCollector } from "./annotations.js";
import { LineSplitter } from "./line-splitter.js";
import { LogTail } from "./log-tail.js";
import { SecretMasker } from "./secret-masker.js";

/** A chunk is stored once this much output waited (or FLUSH_MS passed); the build page pages through the log by chunks. */
const FLUSH_BYTES = 256 * 1024;
const FLUSH_MS = 200;
/** Chunks on their way to the database before the run's output is held back. */
const MAX_IN_FLIGHT_BYTES = 4 * 1024 * 1024;
/** The check run shows at most 64 KB of text; keep a little more to cut on a line. */
const TAIL_BYTES = 96 * 1024;

/**
 * A build's output on its way to the database: batched into chunks (so the build page on
 * any machine can follow it), split into lines for annotations, and kept as a short tail
 * for the check run. Chunks are stored while the run goes on printing (on SQLite by a
 * thread of their own); memory stays at a few chunks whatever the run prints, because
 * `write` returns a promise once MAX_IN_FLIGHT_BYTES wait to be stored, and the process
 * pump waits for it.
 */
export interface BuildLogOptions {
  /** The worker holding the build; chunks are stored only while it does. */
  workerId: string;
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
  /** The last chunk's write: chunks land in order, each after the one before. */
  private flushing: Promise<void> = Promise.resolve();
  private inFlightBytes = 0;
  /** Each stored chunk's write, oldest first. */
  private readonly inFlight: Array<Promise<void>> = [];
  private lost = false;
  private failure: unknown = null;

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

  /** Stores what waits now rather than after FLUSH_MS (its write still goes on in the background). */
  flushNow(): void {
    this.flush();
  }

  /** Rejects once storing the log failed (the run then fails saying so). */
  write(chunk: Buffer): Promise<void> | void {
    if (this.failure !== null) return Promise.reject(this.failure);
    return this.append(this.masker.push(chunk), true);
  }

  async close(): Promise<void> {
    await this.releaseHeld();
    for (const line of this.lines.end()) this.annotations.push(line);
    this.flush();
    await this.flushing;
    if (this.failure !== null) throw this.failure;
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
    if (this.pendingBytes >= FLUSH_BYTES) {
      this.flush();
      // Only the run's output waits for the database; a failure reaches it here.
      if (this.inFlightBytes > MAX_IN_FLIGHT_BYTES) return this.belowLimit();
      return;
    }
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Sends what waits on its way to the database; the write's outcome is kept for `write` and `close`. */
  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pendingBytes === 0) return;
    const data = this.pending;
    const size = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    const seq = this.seq++;
    this.inFlightBytes += size;
    // Written in turn, never two at once, so seq order is storage order even if one fails.
    this.flushing = this.flushing.then(async () => {
      try {
        if (this.lost || this.failure !== null) return;
        // Once another worker holds the build, this one's output goes nowhere.
        const stored = await this.store.appendLog({ buildId: this.buildId, seq, data, createdAt: this.clock.now(), workerId: this.o.workerId });
        if (!stored) this.lost = true;
      } catch (error) {
        this.failure = error;
      } finally {
        this.inFlightBytes -= size;
        this.inFlight.shift();
      }
    });
    this.inFlight.push(this.flushing);
  }

  /** Waits for the oldest chunks until no more than MAX_IN_FLIGHT_BYTES are on their way. */
  private async belowLimit(): Promise<void> {
    while (this.inFlightBytes > MAX_IN_FLIGHT_BYTES && this.inFlight.length > 0) await this.inFlight[0];
    if (this.failure !== null) throw this.failure;
  }
}
