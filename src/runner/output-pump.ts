import type { Readable } from "node:stream";

export type OutputHandler = (chunk: Buffer) => void | Promise<void>;

/**
 * Delivers chunks from several readable streams to one handler, one call at a time, in
 * arrival order. While a handler's promise is pending every stream is paused, so a slow
 * consumer (a database, a socket) holds the producer back instead of memory growing.
 */
export class OutputPump {
  private readonly backlog: Buffer[] = [];
  private busy = false;
  private paused = false;
  private failure: string | null = null;
  private lastActivity = Date.now();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly streams: Readable[],
    private readonly handler: OutputHandler,
  ) {
    for (const stream of streams) {
      stream.on("data", (chunk: Buffer | string) => {
        this.backlog.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
        this.lastActivity = Date.now();
        if (!this.busy) this.pump();
      });
    }
  }

  /** The first error the handler threw or rejected with, if any. */
  get error(): string | null {
    return this.failure;
  }

  /** True while chunks wait or the handler is working on one. */
  get working(): boolean {
    return this.busy || this.backlog.length > 0;
  }

  /** When data last arrived or the handler last finished (ms since epoch). */
  get lastActivityAt(): number {
    return this.lastActivity;
  }

  /** Resolves once every chunk received so far has been handled. */
  idle(): Promise<void> {
    if (!this.working) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    this.busy = true;
    for (let chunk = this.backlog.shift(); chunk !== undefined; chunk = this.backlog.shift()) {
      let pending: void | Promise<void>;
      try {
        pending = this.handler(chunk);
      } catch (error) {
        this.fail(error);
        continue;
      }
      if (isPromiseLike(pending)) {
        this.setPaused(true);
        Promise.resolve(pending)
          .then(undefined, (error: unknown) => this.fail(error))
          .then(() => {
            this.lastActivity = Date.now();
            this.pump();
          });
        return;
      }
    }
    this.busy = false;
    this.setPaused(false);
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    for (const stream of this.streams) {
      if (stream.destroyed) continue;
      if (paused) stream.pause();
      else stream.resume();
    }
  }

  private fail(error: unknown): void {
    this.failure ??= `output handler failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function isPromiseLike(value: unknown): value is Promise<void> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
