import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { Clock } from "../shared/clock.js";
import type { Store } from "../store/database.js";
import { pruneBuilds, pruneDeliveries, pruneLogChunks, pruneOutbox, pruneRejections } from "../store/retention.js";

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  /** KICKOFF_RETENTION: builds, logs and deliveries older than this go. */
  retentionMs: number;
  /** Rows per statement. */
  batch?: number;
  /** Rest between two batches, so other writers get the database. */
  pauseMs?: number;
}

/**
 * Keeps disk use bounded: deletes what is older than the retention in small batches, in
 * the background. Only finished things go: a queued, waiting or running build, a
 * delivery still being planned and an unsent GitHub write are kept whatever their age.
 * The space freed is reused by SQLite (the file does not shrink) and by PostgreSQL.
 */
export class RetentionPruner {
  constructor(private readonly o: RetentionOptions) {}

  /** One batch of each kind; the number of rows deleted (0: nothing left to do). */
  async step(): Promise<number> {
    const { store, clock, retentionMs } = this.o;
    const batch = this.o.batch ?? 500;
    const cutoff = clock.now() - retentionMs;
    const db = store.db;
    // Logs before their builds, so deleting a build never cascades into a huge delete.
    const chunks = await pruneLogChunks(db, cutoff, batch);
    const builds = await pruneBuilds(db, cutoff, batch);
    const deliveries = await pruneDeliveries(db, cutoff, batch);
    // Sent GitHub writes only matter for looking into a recent problem: a day at most.
    const outbox = await pruneOutbox(db, clock.now() - Math.min(retentionMs, DAY_MS), batch);
    const rejections = await pruneRejections(db, cutoff, batch);
    const total = chunks + builds + deliveries + outbox + rejections;
    if (total > 0) {
      this.o.log.debug({ chunks, builds, deliveries, outbox, rejections }, "pruned expired rows");
      await sleep(this.o.pauseMs ?? 100);
    }
    return total;
  }

  /** Prunes until nothing expired is left (tests, and the loop's busy phase). */
  async runUntilDone(): Promise<number> {
    let total = 0;
    for (let n = await this.step(); n > 0; n = await this.step()) total += n;
    return total;
  }
}
