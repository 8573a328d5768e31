import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { reapAbandoned } from "../../src/runner/reaper.js";
import { ManualClock } from "../../src/shared/clock.js";
import type { Store } from "../../src/store/database.js";
import { claimBuild, getBuild, insertBuild } from "../../src/store/queue.js";
import { buildLinks } from "../../src/web/links.js";
import { buildConfig, newBuild } from "../support/builds.js";
import { storeKinds } from "../support/stores.js";

describe("reaping builds whose runner vanished", () => {
  let store: Store & { cleanup(): Promise<void> };
  const clock = new ManualClock();
  const self = { id: "here:/d#1#a", host: "here:/d" };
  const gone = { id: "there:/d#999999#b", host: "there:/d" };
  const deps = () => ({ store, clock, links: buildLinks("http://k", "key"), log: pino({ level: "silent" }), self, wake: () => {} });

  beforeEach(async () => {
    store = await storeKinds()[0]!.open();
  });
  afterEach(async () => {
    await store.cleanup();
  });

  async function outbox(buildId: number) {
    const rows = await store.db.selectFrom("outbox").selectAll().where("build_id", "=", buildId).execute();
    return rows.map((r) => JSON.parse(r.payload).request);
  }

  it("re-queues a lapsed build once, then fails it with a title that says why", async () => {
    const build = await insertBuild(store.db, newBuild());
    await claimBuild(store.db, clock, gone, 30_000, false);
    clock.advance(29_999);
    expect(await reapAbandoned(deps(), "expired")).toBe(0);
    clock.advance(2);
    expect(await reapAbandoned(deps(), "expired")).toBe(1);
    expect(await getBuild(store.db, build!.id)).toMatchObject({ status: "queued", worker_id: null, attempt: 1 });
    expect(await outbox(build!.id)).toEqual([]); // the check run stays in progress

    await claimBuild(store.db, clock, gone, 30_000, false);
    clock.advance(30_001);
    expect(await reapAbandoned(deps(), "expired")).toBe(1);
    expect(await getBuild(store.db, build!.id)).toMatchObject({ status: "done", conclusion: "failure", title: "Runner lost 2 times; giving up", attempt: 2 });
    const [completed] = await outbox(build!.id);
    expect(completed).toMatchObject({ status: "completed", conclusion: "failure", output: { title: "Runner lost 2 times; giving up" } });
  });

  it("never re-runs a deploy: it fails at once", async () => {
    const config = buildConfig({ run: "./deploy.sh", environment: "production" });
    const build = await insertBuild(store.db, newBuild({ config }));
    await claimBuild(store.db, clock, gone, 30_000, false);
    clock.advance(30_001);
    await reapAbandoned(deps(), "expired");
    expect(await getBuild(store.db, build!.id)).toMatchObject({ status: "done", conclusion: "failure", title: "Runner lost mid-deploy: re-run it by hand" });
  });

  it("at start, recovers this machine's builds from a dead process without waiting for the lease", async () => {
    const deadHere = { id: "here:/d#999999#c", host: "here:/d" };
    const liveHere = { id: `here:/d#${process.ppid}#d`, host: "here:/d" };
    const mine = await insertBuild(store.db, newBuild());
    const busy = await insertBuild(store.db, newBuild());
    const elsewhere = await insertBuild(store.db, newBuild());
    await claimBuild(store.db, clock, deadHere, 30_000, false);
    await claimBuild(store.db, clock, liveHere, 30_000, false);
    await claimBuild(store.db, clock, gone, 30_000, false);
    expect(await reapAbandoned(deps(), "own-machine")).toBe(1);
    expect((await getBuild(store.db, mine!.id))?.status).toBe("queued");
    expect((await getBuild(store.db, busy!.id))?.status).toBe("running"); // its process is alive
    expect((await getBuild(store.db, elsewhere!.id))?.status).toBe("running"); // another machine's, lease still valid
  });
});
