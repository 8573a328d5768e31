import { describe, expect, it } from "vitest";
import { withMirrorLock } from "../../src/runner/mirror-lock.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("withMirrorLock", () => {
  it("runs work on one key one at a time, in arrival order", async () => {
    const events: string[] = [];
    let inside = 0;
    const job = (name: string) =>
      withMirrorLock("/mirrors/acme/shop.git", async () => {
        inside++;
        expect(inside).toBe(1);
        events.push(`start ${name}`);
        await tick();
        events.push(`end ${name}`);
        inside--;
        return name;
      });
    expect(await Promise.all([job("a"), job("b"), job("c")])).toEqual(["a", "b", "c"]);
    expect(events).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  it("lets different keys run at the same time", async () => {
    const events: string[] = [];
    const job = (key: string) =>
      withMirrorLock(key, async () => {
        events.push(`start ${key}`);
        await tick();
        events.push(`end ${key}`);
      });
    await Promise.all([job("one"), job("two")]);
    expect(events.slice(0, 2)).toEqual(["start one", "start two"]);
  });

  it("releases the lock when the work throws", async () => {
    await expect(withMirrorLock("k", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(withMirrorLock("k", async () => "next")).resolves.toBe("next");
  });
});

describe("withMirrorLock holding past its return", () => {
  it("returns at once but keeps the next holder waiting until the held work settles", async () => {
    const events: string[] = [];
    let finishHeld: () => void = () => {};
    const held = new Promise<void>((resolve) => (finishHeld = resolve));
    const first = await withMirrorLock("held", async (hold) => {
      hold(held.then(() => events.push("held work done")));
      return "first";
    });
    expect(first).toBe("first");
    const second = withMirrorLock("held", async () => {
      events.push("second");
    });
    await tick();
    expect(events).toEqual([]);
    finishHeld();
    await second;
    expect(events).toEqual(["held work done", "second"]);
  });

  it("releases the lock when the held work fails", async () => {
    await withMirrorLock("held-fail", async (hold) => {
      hold(Promise.reject(new Error("update failed")));
    });
    await expect(withMirrorLock("held-fail", async () => "next")).resolves.toBe("next");
  });
});
