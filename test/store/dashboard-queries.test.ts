import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/shared/clock.js";
import type { Store } from "../../src/store/database.js";
import { listBuilds, listRepositories } from "../../src/store/build-list.js";
import { buildsOfDeliveries, insertRejections, listDeliveries, listRejections } from "../../src/store/delivery-audit.js";
import { newDelivery, storeDelivery } from "../support/deliveries.js";
import { chunkStart, hasLogBefore } from "../../src/store/log-ranges.js";
import { readLogBefore } from "../../src/store/logs.js";
import { insertBuild } from "../../src/store/queue.js";
import { newBuild } from "../support/builds.js";
import { storeKinds } from "../support/stores.js";

for (const kind of storeKinds()) {
  describe(`dashboard queries on ${kind.name}`, () => {
    let store: Store & { cleanup(): Promise<void> };
    const clock = new ManualClock();

    beforeEach(async () => {
      store = await kind.open();
    });
    afterEach(async () => {
      await store.cleanup();
    });

    it("lists builds newest first by keyset, filtered, hiding private ones unless asked", async () => {
      const ids: number[] = [];
      for (let i = 0; i < 7; i++)
        ids.push(
          (await insertBuild(
            store.db,
            newBuild({ repository: i % 2 ? "a/odd" : "a/even", private: i === 6 ? 1 : 0, status: i < 3 ? "done" : "queued", conclusion: i < 3 ? "success" : null, queued_at: i }),
          ))!.id,
        );
      const first = await listBuilds(store.db, { repository: null, state: null, includePrivate: false }, null, 3);
      expect(first.builds.map((b) => b.id)).toEqual([ids[5], ids[4], ids[3]]);
      expect(first.newerThan).toBeNull();
      const second = await listBuilds(store.db, { repository: null, state: null, includePrivate: false }, { before: first.olderThan! }, 3);
      expect(second.builds.map((b) => b.id)).toEqual([ids[2], ids[1], ids[0]]);
      expect(second.olderThan).toBeNull();
      const back = await listBuilds(store.db, { repository: null, state: null, includePrivate: false }, { after: second.newerThan! }, 3);
      expect(back.builds.map((b) => b.id)).toEqual(first.builds.map((b) => b.id));
      expect((await listBuilds(store.db, { repository: null, state: null, includePrivate: true }, null, 1)).builds[0]?.id).toBe(ids[6]);
      expect((await listBuilds(store.db, { repository: "a/odd", state: "success", includePrivate: false }, null, 10)).builds.map((b) => b.id)).toEqual([ids[1]]);
      expect(await listRepositories(store.db, false)).toEqual(["a/even", "a/odd"]);
    });

    it("reads log ranges backwards and the start of a chunk", async () => {
      const b = (await insertBuild(store.db, newBuild()))!;
      for (let seq = 0; seq < 5; seq++) await store.appendLog({ buildId: b.id, seq, data: [Buffer.from(`chunk-${seq};`)], createdAt: clock.now(), workerId: null });
      const before = await readLogBefore(store.db, b.id, 4, 16);
      expect(before.map((c) => c.seq)).toEqual([2, 3]);
      expect(await hasLogBefore(store.db, b.id, 2)).toBe(true);
      expect(await hasLogBefore(store.db, b.id, 0)).toBe(false);
      expect((await chunkStart(store.db, b.id, 3, 5))?.toString()).toBe("chunk");
      expect(await chunkStart(store.db, b.id, 9, 5)).toBeNull();
    });

    it("pages the audit log and finds the builds each delivery started", async () => {
      for (let i = 0; i < 5; i++) {
        await storeDelivery(
          store.db,
          newDelivery({ id: `d${i}`, repository: "a/b", sender: "me", received_at: i < 3 ? 100 : 200, next_attempt_at: 0, status: "done", outcome: "ok" }),
        );
      }
      const first = await listDeliveries(store.db, { before: null, id: null, limit: 3 });
      expect(first.map((d) => d.id)).toEqual(["d4", "d3", "d2"]);
      const last = first.at(-1)!;
      const next = await listDeliveries(store.db, { before: { receivedAt: last.received_at, id: last.id }, id: null, limit: 3 });
      expect(next.map((d) => d.id)).toEqual(["d1", "d0"]);
      const built = (await insertBuild(store.db, newBuild({ trigger_delivery: "d1" })))!;
      expect((await buildsOfDeliveries(store.db, ["d1", "d2"])).map((b) => b.id)).toEqual([built.id]);
      await insertRejections(store.db, [{ received_at: 5, event: "push", delivery: "x", status: 401, reason: "bad signature", remote_address: "127.0.0.1" }]);
      expect(await listRejections(store.db, 10)).toMatchObject([{ delivery: "x", status: 401 }]);
    });
  });
}
