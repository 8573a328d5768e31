import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RetentionPruner } from "../../src/observability/retention.js";
import { ManualClock } from "../../src/shared/clock.js";
import type { Store } from "../../src/store/database.js";
import { insertRejections } from "../../src/store/delivery-audit.js";
import { enqueueOutbox } from "../../src/store/outbox.js";
import { insertBuild } from "../../src/store/queue.js";
import type { BuildStatus } from "../../src/store/schema.js";
import { newBuild } from "../support/builds.js";
import { newDelivery, storeDelivery } from "../support/deliveries.js";
import { storeKinds } from "../support/stores.js";

const DAY = 86_400_000;

for (const kind of storeKinds()) {
  describe(`retention on ${kind.name}`, () => {
    let store: Store & { cleanup(): Promise<void> };
    let clock: ManualClock;

    beforeEach(async () => {
      store = await kind.open();
      clock = new ManualClock();
    });
    afterEach(async () => {
      await store.cleanup();
    });

    async function build(status: BuildStatus, finishedDaysAgo: number | null, chunks: number) {
      const at = finishedDaysAgo === null ? clock.now() - 40 * DAY : clock.now() - finishedDaysAgo * DAY;
      const b = (await insertBuild(
        store.db,
        newBuild({ status, conclusion: status === "done" ? "success" : null, queued_at: at - 1000, finished_at: finishedDaysAgo === null ? null : at }),
      ))!;
      for (let seq = 0; seq < chunks; seq++) await store.appendLog({ buildId: b.id, seq, data: [Buffer.from(`chunk ${seq}\n`)], createdAt: clock.now(), workerId: null });
      return b.id;
    }

    async function delivery(id: string, daysAgo: number, status: "done" | "pending") {
      const at = clock.now() - daysAgo * DAY;
      await storeDelivery(store.db, newDelivery({ id, received_at: at, status }));
    }

    it("prunes finished builds, their logs, deliveries, sent GitHub writes and refusals past the retention, in small batches", async () => {
      const oldBig = await build("done", 31, 23);
      const oldSmall = await build("done", 45, 2);
      const recent = await build("done", 29, 3);
      const stillRunning = await build("running", null, 4);
      const stillQueued = await build("queued", null, 0);
      await delivery("old-done", 31, "done");
      await delivery("old-pending", 31, "pending");
      await delivery("recent", 1, "done");
      const outboxAt = (daysAgo: number) => {
        const c = new ManualClock(clock.now() - daysAgo * DAY);
        return enqueueOutbox(store.db, c, { key: "check_run:1", kind: "check_run", installationId: 1, repository: "acme/shop", buildId: 1, payload: {} });
      };
      await outboxAt(3);
      await outboxAt(3);
      await outboxAt(0);
      await store.db
        .updateTable("outbox")
        .set({ done_at: clock.now() - 2 * DAY })
        .where("id", "in", [1, 3])
        .execute();
      await insertRejections(store.db, [
        { received_at: clock.now() - 31 * DAY, event: "push", delivery: "x", status: 401, reason: "bad signature", remote_address: null },
        { received_at: clock.now() - DAY, event: "push", delivery: "y", status: 401, reason: "bad signature", remote_address: null },
      ]);

      const pruner = new RetentionPruner({ store, clock, log: pino({ level: "silent" }), retentionMs: 30 * DAY, batch: 5, pauseMs: 0 });
      let steps = 0;
      while ((await pruner.step()) > 0) steps += 1;
      // 23 chunks in batches of 5 take several statements.
      expect(steps).toBeGreaterThanOrEqual(5);

      const builds = (await store.db.selectFrom("builds").select("id").orderBy("id").execute()).map((r) => r.id);
      expect(builds).toEqual([recent, stillRunning, stillQueued]);
      const chunkOwners = new Set((await store.db.selectFrom("log_chunks").select("build_id").execute()).map((r) => r.build_id));
      expect(chunkOwners).toEqual(new Set([recent, stillRunning]));
      expect(chunkOwners.has(oldBig) || chunkOwners.has(oldSmall)).toBe(false);
      const deliveries = (await store.db.selectFrom("deliveries").select("id").orderBy("id").execute()).map((r) => r.id);
      expect(deliveries).toEqual(["old-pending", "recent"]);
      // Sent writes go after a day; the unsent one stays, however old.
      const outbox = await store.db.selectFrom("outbox").select(["id", "done_at"]).orderBy("id").execute();
      expect(outbox.map((r) => r.id)).toEqual([2]);
      expect((await store.db.selectFrom("rejected_requests").select("delivery").execute()).map((r) => r.delivery)).toEqual(["y"]);
    });

    it("follows the clock: what was recent expires later", async () => {
      const id = await build("done", 29, 1);
      const pruner = new RetentionPruner({ store, clock, log: pino({ level: "silent" }), retentionMs: 30 * DAY, pauseMs: 0 });
      expect(await pruner.runUntilDone()).toBe(0);
      clock.advance(2 * DAY);
      expect(await pruner.runUntilDone()).toBe(2);
      expect(await store.db.selectFrom("builds").select("id").where("id", "=", id).executeTakeFirst()).toBeUndefined();
    });
  });
}
