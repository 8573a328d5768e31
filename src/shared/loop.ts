import type { Logger } from "pino";

/**
 * A table-polling loop: `step` returns true when it did work (run again at once) and false
 * when there was nothing to do (sleep until woken or `idleMs` passes). Other parts of the
 * same process call `wake()` after writing a row, so in-process latency stays low without
 * fast polling.
 */
export class PollingLoop {
  private timer: NodeJS.Timeout | null = null;
  private wakeUp: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private woken = false;
  private sleeping = false;
  /** Told after every step that did work (see LoopGroup). */
  onBusy: (() => void) | null = null;

  constructor(
    private readonly name: string,
    private readonly step: () => Promise<boolean>,
    private readonly idleMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.running) return;
    this.stopped = false;
    this.running = this.loop();
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Waiting for a wake-up or its next poll, rather than in the middle of a step. */
  get idle(): boolean {
    return this.sleeping;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
    this.running = null;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let busy = false;
      this.woken = false;
      try {
        busy = await this.step();
        failures = 0;
        if (busy) this.onBusy?.();
      } catch (error) {
        failures += 1;
        // A database hiccup must not end the loop; back off so a persistent fault does
        // not spin or flood the log.
        this.log.error({ err: error, loop: this.name }, `${this.name} loop step failed`);
        await this.sleep(Math.min(30_000, 250 * 2 ** Math.min(failures, 7)));
        continue;
      }
      if (!busy && !this.woken) await this.sleep(this.idleMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    this.sleeping = true;
    return new Promise((resolve) => {
      const done = () => {
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        this.wakeUp = null;
        this.sleeping = false;
        resolve();
      };
      this.wakeUp = done;
      this.timer = setTimeout(done, ms);
      if (this.stopped) done();
    });
  }
}

/**
 * Loops that take rows from the same table. Waking all of them for one new row would cost
 * one query each; instead a wake-up rouses one, and each loop that found work rouses the
 * next, so rows that arrive together still get as many loops as there are rows.
 */
export class LoopGroup {
  constructor(private readonly loops: readonly PollingLoop[]) {
    for (const loop of loops) loop.onBusy = () => this.wakeOne(loop);
  }

  wakeOne(except?: PollingLoop): void {
    const candidates = this.loops.filter((l) => l !== except);
    // With none idle, every loop is mid-step; waking one makes it look again instead of
    // sleeping on a "nothing to do" that predates the new row.
    (candidates.find((l) => l.idle) ?? (except === undefined ? candidates[0] : undefined))?.wake();
  }
}
