import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { LoopGroup, PollingLoop } from "../../src/shared/loop.js";

/** Long enough that only a wake-up (or the end of a busy step) can make a loop step again. */
const NEVER = 3_600_000;

interface Step {
  startedAt: number;
  settled: boolean;
  resolve(busy: boolean): void;
  reject(error: Error): void;
}

/** A loop whose steps the test finishes by hand, one by one, counting them. */
class Driven {
  readonly steps: Step[] = [];
  readonly loop: PollingLoop;
  private closing = false;

  constructor(
    readonly name: string,
    log: pino.Logger,
    idleMs = NEVER,
  ) {
    this.loop = new PollingLoop(name, () => this.step(), idleMs, log);
  }

  get count(): number {
    return this.steps.length;
  }

  /** Whether a step was started and not yet finished. */
  get midStep(): boolean {
    const last = this.steps.at(-1);
    return last !== undefined && !last.settled;
  }

  finish(busy: boolean): void {
    this.current().resolve(busy);
  }

  fail(error: Error): void {
    this.current().reject(error);
  }

  /** Ends the loop: the step in progress and every later one report nothing to do. */
  async shutdown(): Promise<void> {
    this.closing = true;
    if (this.midStep) this.finish(false);
    await this.loop.stop();
  }

  private current(): Step {
    const last = this.steps.at(-1);
    if (last === undefined || last.settled) throw new Error(`${this.name} is not mid-step`);
    return last;
  }

  private step(): Promise<boolean> {
    if (this.closing) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      const step: Step = {
        startedAt: performance.now(),
        settled: false,
        resolve: (busy) => {
          step.settled = true;
          resolve(busy);
        },
        reject: (error) => {
          step.settled = true;
          reject(error);
        },
      };
      this.steps.push(step);
    });
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Lets every wake-up already given take effect: a woken loop starts its next step within
 * the microtasks that follow, so after a macrotask turn nothing more is on its way.
 */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

function capturingLogger(): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: "error" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

const running: Driven[] = [];
function driven(name: string, idleMs = NEVER): Driven {
  const d = new Driven(name, capturingLogger().log, idleMs);
  running.push(d);
  return d;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.shutdown()));
});

describe("PollingLoop", () => {
  it("steps once when started, then sleeps until woken; each wake-up is one more step", async () => {
    const d = driven("intake");
    d.loop.start();
    await waitFor("the first step", () => d.count === 1);
    d.loop.start(); // already running: no second loop
    d.finish(false);
    await waitFor("sleep", () => d.loop.idle);
    await settle();
    expect(d.count).toBe(1);

    d.loop.wake();
    await waitFor("the woken step", () => d.count === 2);
    expect(d.loop.idle).toBe(false);
    d.finish(false);
    await waitFor("sleep", () => d.loop.idle);
    await settle();
    expect(d.count).toBe(2);
  });

  it("runs the next step at once after a step that did work, without being woken", async () => {
    const d = driven("outbox");
    d.loop.start();
    await waitFor("the first step", () => d.count === 1);
    d.finish(true);
    await waitFor("the second step", () => d.count === 2);
    d.finish(true);
    await waitFor("the third step", () => d.count === 3);
    d.finish(false);
    await waitFor("sleep", () => d.loop.idle);
    await settle();
    expect(d.count).toBe(3);
  });

  it("is idle only while it waits, never mid-step", async () => {
    const d = driven("idle");
    expect(d.loop.idle).toBe(false);
    d.loop.start();
    await waitFor("the first step", () => d.count === 1);
    expect(d.loop.idle).toBe(false);
    d.finish(false);
    await waitFor("sleep", () => d.loop.idle);
    d.loop.wake();
    // The wake-up ends the sleep at once: no longer idle, even before the step begins.
    expect(d.loop.idle).toBe(false);
    await waitFor("the woken step", () => d.count === 2);
    expect(d.loop.idle).toBe(false);
  });

  it("does not lose a wake-up that arrives mid-step: it steps again instead of sleeping", async () => {
    const d = driven("mid-step");
    d.loop.start();
    await waitFor("the first step", () => d.count === 1);
    d.loop.wake();
    d.finish(false);
    await waitFor("the step after the wake-up", () => d.count === 2);
    expect(d.loop.idle).toBe(false);
    // A wake-up is used up by the step it caused.
    d.finish(false);
    await waitFor("sleep", () => d.loop.idle);
    await settle();
    expect(d.count).toBe(2);
  });

  it("polls again after idleMs when nobody wakes it", async () => {
    const d = driven("poll", 150);
    d.loop.start();
    await waitFor("the first step", () => d.count === 1);
    const finishedAt = performance.now();
    d.finish(false);
    await waitFor("the poll", () => d.count === 2);
    expect(d.steps[1]!.startedAt - finishedAt).toBeGreaterThanOrEqual(145);
  });

  it("stop ends a sleeping loop at once, and steps no more", async () => {
    const d = driven("stop-sleeping");
    d.loop.start();
    await waitFor("the first step", () => d.count === 1);
    d.finish(false);
    await waitFor("sleep", () => d.loop.idle);
    const before = performance.now();
    await d.loop.stop();
    expect(performance.now() - before).toBeLessThan(1000);
    expect(d.loop.idle).toBe(false);
    d.loop.wake();
    await settle();
    expect(d.count).toBe(1);
  });

  it("stop waits for the step in progress, then steps no more even if it did work", async () => {
    const d = driven("stop-mid-step");
    d.loop.start();
    await waitFor("the first step", () => d.count === 1);
    let stopped = false;
    const stopping = d.loop.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    d.finish(true);
    await stopping;
    await settle();
    expect(d.count).toBe(1);

    // A stopped loop can be started again.
    d.loop.start();
    await waitFor("the first step after a restart", () => d.count === 2);
  });

  it("backs off after a failing step, longer after each failure, logs it, and starts over after a success", async () => {
    const { log, lines } = capturingLogger();
    const d = new Driven("flaky", log);
    running.push(d);
    d.loop.start();
    await waitFor("the first step", () => d.count === 1);

    const failedAt: number[] = [];
    const failStep = (n: number) => {
      failedAt[n] = performance.now();
      d.fail(new Error(`database hiccup ${n}`));
    };
    failStep(0);
    await waitFor("the step after one failure", () => d.count === 2);
    failStep(1);
    await waitFor("the step after two failures", () => d.count === 3, 4000);
    d.finish(true); // a success resets the count of failures
    await waitFor("the step after the success", () => d.count === 4);
    failStep(3);
    await waitFor("the step after a fresh failure", () => d.count === 5, 4000);

    const gap = (n: number) => d.steps[n + 1]!.startedAt - failedAt[n]!;
    // 250 ms · 2^failures: 500 ms after the first failure, 1 s after the second…
    expect(gap(0)).toBeGreaterThanOrEqual(495);
    expect(gap(1)).toBeGreaterThanOrEqual(995);
    // …and after a success the next failure waits 500 ms again, not the 2 s a third failure would.
    expect(gap(3)).toBeGreaterThanOrEqual(495);
    expect(gap(3)).toBeLessThan(1500);
    expect(lines.map((l) => [l.loop, l.msg, (l.err as { message?: string } | undefined)?.message])).toEqual([
      ["flaky", "flaky loop step failed", "database hiccup 0"],
      ["flaky", "flaky loop step failed", "database hiccup 1"],
      ["flaky", "flaky loop step failed", "database hiccup 3"],
    ]);
  });
});

describe("LoopGroup", () => {
  /** Three started loops of one group, each asleep after a first step that found nothing. */
  async function sleepingGroup(): Promise<{ loops: Driven[]; group: LoopGroup }> {
    const loops = ["a", "b", "c"].map((name) => driven(name));
    const group = new LoopGroup(loops.map((d) => d.loop));
    for (const d of loops) d.loop.start();
    await waitFor("every first step", () => loops.every((d) => d.count === 1));
    for (const d of loops) d.finish(false);
    await waitFor("every loop asleep", () => loops.every((d) => d.loop.idle));
    return { loops, group };
  }

  const counts = (loops: Driven[]) => loops.map((d) => d.count);
  const stepping = (loops: Driven[]) => loops.filter((d) => d.midStep);

  it("a wake-up rouses exactly one idle loop", async () => {
    const { loops, group } = await sleepingGroup();
    group.wakeOne();
    await waitFor("one step", () => stepping(loops).length === 1);
    await settle();
    expect(counts(loops).reduce((a, b) => a + b)).toBe(4);
    expect(loops.filter((d) => d.loop.idle)).toHaveLength(2);
    const [woken] = stepping(loops);
    woken!.finish(false);
    await waitFor("sleep", () => woken!.loop.idle);
    await settle();
    expect(counts(loops).reduce((a, b) => a + b)).toBe(4);

    // Two wake-ups in a row rouse two different loops: a woken one is no longer idle.
    group.wakeOne();
    group.wakeOne();
    await waitFor("two steps", () => stepping(loops).length === 2);
    await settle();
    expect(counts(loops).reduce((a, b) => a + b)).toBe(6);
  });

  it("a loop whose step did work rouses another, so rows arriving together get as many loops", async () => {
    const { loops, group } = await sleepingGroup();
    group.wakeOne();
    await waitFor("one step", () => stepping(loops).length === 1);
    const [first] = stepping(loops);
    const before = counts(loops);

    first!.finish(true);
    // The busy loop goes on at once, and one sleeping loop joins it.
    await waitFor("two loops stepping", () => stepping(loops).length === 2);
    await settle();
    const second = stepping(loops).find((d) => d !== first)!;
    expect(first!.count).toBe(before[loops.indexOf(first!)]! + 1);
    expect(second.count).toBe(before[loops.indexOf(second)]! + 1);
    const third = loops.find((d) => d !== first && d !== second)!;
    expect(third.loop.idle).toBe(true);
    expect(third.count).toBe(1);

    // The second one finds work too: it rouses the last sleeper (the first is mid-step).
    second.finish(true);
    await waitFor("the third loop stepping", () => third.midStep);
    await settle();
    expect(third.count).toBe(2);
    expect(stepping(loops)).toHaveLength(3);

    // Nothing left: all go back to sleep and nobody rouses anybody.
    for (const d of loops) d.finish(false);
    await waitFor("every loop asleep", () => loops.every((d) => d.loop.idle));
    const after = counts(loops);
    await settle();
    expect(counts(loops)).toEqual(after);
  });

  it("a loop that found nothing rouses nobody", async () => {
    const { loops, group } = await sleepingGroup();
    group.wakeOne();
    await waitFor("one step", () => stepping(loops).length === 1);
    stepping(loops)[0]!.finish(false);
    await waitFor("every loop asleep", () => loops.every((d) => d.loop.idle));
    await settle();
    expect(counts(loops).reduce((a, b) => a + b)).toBe(4);
  });

  it("when every loop is mid-step, a wake-up is not lost: the woken loop steps again instead of sleeping", async () => {
    const loops = ["a", "b", "c"].map((name) => driven(name));
    const group = new LoopGroup(loops.map((d) => d.loop));
    for (const d of loops) d.loop.start();
    await waitFor("every first step", () => loops.every((d) => d.midStep));

    group.wakeOne(); // a row arrived after every loop had looked
    for (const d of loops) d.finish(false);
    await waitFor("two loops asleep", () => loops.filter((d) => d.loop.idle).length === 2);
    await settle();
    expect(counts(loops).reduce((a, b) => a + b)).toBe(4);
    const again = loops.filter((d) => d.count === 2);
    expect(again).toHaveLength(1);
    expect(again[0]!.midStep).toBe(true);
    again[0]!.finish(false);
    await waitFor("every loop asleep", () => loops.every((d) => d.loop.idle));
    await settle();
    expect(counts(loops).reduce((a, b) => a + b)).toBe(4);
  });
});
