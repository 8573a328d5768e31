import type { Logger } from "pino";
import type { Clock } from "../shared/clock.js";
import type { Store } from "../store/database.js";
import { claimBuild, type WorkerIdentity } from "../store/queue.js";
import type { Build } from "../store/schema.js";

export interface WorkerPoolOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  self: WorkerIdentity;
  concurrency: number;
  leaseMs: number;
  execute(build: Build, shutdown: AbortSignal): Promise<void>;
  /** Called when a slot frees up, so the loop claims the next build at once. */
  onSlotFree(): void;
}

/** Claims queued builds while this machine has free slots (`KICKOFF_CONCURRENCY`). */
export class WorkerPool {
  private readonly running = new Map<number, Promise<void>>();
  private readonly shutdown = new AbortController();

  constructor(private readonly o: WorkerPoolOptions) {}

  get busy(): number {
    return this.running.size;
  }

  async step(): Promise<boolean> {
    if (this.shutdown.signal.aborted || this.running.size >= this.o.concurrency) return false;
    const build = await claimBuild(this.o.store.db, this.o.clock, this.o.self, this.o.leaseMs, this.o.store.dialect === "postgres");
    if (!build) return false;
    const run = this.o
      .execute(build, this.shutdown.signal)
      .catch((error: unknown) => this.o.log.error({ err: error, build: build.id }, "build execution crashed"))
      .finally(() => {
        this.running.delete(build.id);
        this.o.onSlotFree();
      });
    this.running.set(build.id, run);
    return true;
  }

  /** Stops claiming, kills what runs, and waits for it to wind down. */
  async stop(): Promise<void> {
    this.shutdown.abort();
    await Promise.all(this.running.values());
  }
}
