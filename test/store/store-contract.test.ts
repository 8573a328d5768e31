import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/shared/clock.js";
import type { Store } from "../../src/store/database.js";
import { claimDelivery, failDelivery, finishDelivery, getDelivery } from "../../src/store/inbox.js";
import { InboxWriter } from "../../src/store/inbox-writer.js";
import { appendLogChunk, type LogChunkWrite, logSize, nextLogSeq, readLogChunks, readLogTail } from "../../src/store/logs.js";
import { sharedSecret } from "../../src/store/meta.js";
import { claimOutbox, completeOutbox, enqueueOutbox, outboxBacklog, retryOutbox } from "../../src/store/outbox.js";
import { abandonedBuilds, claimBuild, finishBuild, getBuild, heartbeat, insertBuild, requeueLost } from "../../src/store/queue.js";
import type { NewDelivery } from "../../src/store/schema.js";
import { newBuild } from "../support/builds.js";
import { newDelivery, storeDelivery } from "../support/deliveries.js";
import { storeKinds } from "../support/stores.js";

function delivery(id: string, at: number): NewDelivery {
  return newDelivery({ id, received_at: at });
}

for (const kind of storeKinds()) {
  describe(`store contract on ${kind.name}`, () => {
    let store: Store & { cleanup(): Promise<void> };
    let clock: ManualClock;
    const pg = kind.name === "postgres";
    const me = { id: "host:/data#1#a", host: "host:/data" };
    const other = { id: "host2:/data#2#b", host: "host2:/data" };

    beforeEach(async () => {
      store = await kind.open();
      clock = new ManualClock();
    });
    afterEach(async () => {
      await store.cleanup();
    });

    describe("inbox", () => {
      it("stores a delivery once; a second copy is reported as a duplicate", async () => {
        expect(await storeDelivery(store.db, delivery("d1", clock.now()))).toBe("inserted");
        expect(await storeDelivery(store.db, delivery("d1", clock.now()))).toBe("duplicate");
        const rows = await store.db.selectFrom("deliveries").selectAll().execute();
        expect(rows).toHaveLength(1);
      });

      it("hands out deliveries oldest first, each to one claimer", async () => {
        await storeDelivery(store.db, delivery("late", clock.now() + 5));
        await storeDelivery(store.db, delivery("early", clock.now()));
        clock.advance(10);
        const first = await claimDelivery(store.db, clock, "w1", 60_000, pg);
        const second = await claimDelivery(store.db, clock, "w2", 60_000, pg);
        const third = await claimDelivery(store.db, clock, "w3", 60_000, pg);
        expect([first?.id, second?.id, third]).toEqual(["early", "late", undefined]);
      });

      it("re-offers a delivery whose claimer died once its lease lapses", async () => {
        await storeDelivery(store.db, delivery("d1", clock.now()));
        await claimDelivery(store.db, clock, "dead", 1000, pg);
        expect(await claimDelivery(store.db, clock, "w2", 1000, pg)).toBeUndefined();
        clock.advance(1001);
        const again = await claimDelivery(store.db, clock, "w2", 1000, pg);
        expect(again?.attempts).toBe(2);
        // The dead claimer's late completion is ignored.
        await finishDelivery(store.db, clock, "d1", "dead", "late");
        expect((await getDelivery(store.db, "d1"))?.status).toBe("processing");
      });

      it("keeps a failure as a value: retried after the delay, or given up", async () => {
        await storeDelivery(store.db, delivery("d1", clock.now()));
        await claimDelivery(store.db, clock, "w", 1000, pg);
        await failDelivery(store.db, clock, "d1", "w", "500 GitHub down", 5000);
        expect(await claimDelivery(store.db, clock, "w", 1000, pg)).toBeUndefined();
        clock.advance(5000);
        expect((await claimDelivery(store.db, clock, "w", 1000, pg))?.error).toBe("500 GitHub down");
        await failDelivery(store.db, clock, "d1", "w", "404 gone", null);
        const row = await getDelivery(store.db, "d1");
        expect(row).toMatchObject({ status: "failed", error: "404 gone" });
      });
    });

    describe("inbox writer (group commit)", () => {
      it("stores deliveries arriving together in one batch, each answered with its own result", async () => {
        const writer = new InboxWriter(store.db);
        await storeDelivery(store.db, delivery("old", clock.now()));
        const ids = ["a", "b", "a", "old", "c", ...Array.from({ length: 300 }, (_, i) => `bulk-${i}`)];
        const results = await Promise.all(ids.map((id) => writer.put(delivery(id, clock.now()))));
        expect(results.slice(0, 5)).toEqual(["inserted", "inserted", "duplicate", "duplicate", "inserted"]);
        expect(results.slice(5).every((r) => r === "inserted")).toBe(true);
        const rows = await store.db.selectFrom("deliveries").select("id").execute();
        expect(rows).toHaveLength(304);
      });

      it("rejects every caller of a batch that could not be stored, and keeps working", async () => {
        const writer = new InboxWriter(store.db);
        const bad = { ...delivery("bad", clock.now()), event: null as unknown as string };
        const outcomes = await Promise.allSettled([writer.put(delivery("x", clock.now())), writer.put(bad)]);
        expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
        expect(await writer.put(delivery("y", clock.now()))).toBe("inserted");
      });
    });

    describe("queue", () => {
      it("claims queued builds in arrival order and never twice", async () => {
        const a = await insertBuild(store.db, newBuild({ queued_at: 2 }));
        const b = await insertBuild(store.db, newBuild({ queued_at: 1 }));
        const claims = await Promise.all(Array.from({ length: 6 }, () => claimBuild(store.db, clock, me, 30_000, pg)));
        const ids = claims.filter((c) => c !== undefined).map((c) => c!.id);
        expect(ids.sort()).toEqual([a!.id, b!.id].sort());
        const first = await getBuild(store.db, b!.id);
        expect(first).toMatchObject({ status: "running", worker_id: me.id, attempt: 1, lease_expires_at: clock.now() + 30_000 });
      });

      it("deduplicates builds by key: the first event wins", async () => {
        expect(await insertBuild(store.db, newBuild({ dedupe_key: "1:abc:test" }))).toBeDefined();
        expect(await insertBuild(store.db, newBuild({ dedupe_key: "1:abc:test" }))).toBeUndefined();
      });

      it("takes over a lost build while its stalled worker is in the middle of storing a log chunk", async () => {
        const build = await insertBuild(store.db, newBuild());
        await claimBuild(store.db, clock, me, 1000, pg);
        // The stalled worker's open transaction: its log chunk's foreign key holds a lock
        // on the build row (KEY SHARE on PostgreSQL) until that worker wakes up.
        const stalled = store.db.transaction().execute(async (trx) => {
          await trx
            .insertInto("log_chunks")
            .values({ build_id: build!.id, seq: 0, data: Buffer.from("mid-write"), created_at: clock.now() })
            .execute();
          await new Promise((resolve) => setTimeout(resolve, 500));
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
        clock.advance(1001);
        const [lost] = await abandonedBuilds(store.db, clock, null);
        expect(await requeueLost(store.db, lost!)).toBe(true);
        const retaken = await claimBuild(store.db, clock, other, 1000, pg);
        expect(retaken).toMatchObject({ id: build!.id, attempt: 2, worker_id: other.id });
        await stalled;
      });

      it("guards every later write with the claim: a presumed-dead worker cannot finish", async () => {
        const build = await insertBuild(store.db, newBuild());
        await claimBuild(store.db, clock, me, 1000, pg);
        clock.advance(1001);
        const lost = await abandonedBuilds(store.db, clock, null);
        expect(lost.map((b) => b.id)).toEqual([build!.id]);
        expect(await requeueLost(store.db, lost[0]!)).toBe(true);
        const retaken = await claimBuild(store.db, clock, other, 1000, pg);
        expect(retaken).toMatchObject({ id: build!.id, attempt: 2, worker_id: other.id });

        expect((await heartbeat(store.db, clock, build!.id, me.id, 1000)).held).toBe(false);
        const outcome = { conclusion: "success" as const, title: "Passed", exitCode: 0, summary: null, annotations: null };
        expect(await finishBuild(store.db, clock, build!.id, me.id, outcome)).toBeUndefined();
        expect(await finishBuild(store.db, clock, build!.id, other.id, outcome)).toMatchObject({ status: "done", conclusion: "success" });
      });

      it("a heartbeat extends the lease and reports a cancel request", async () => {
        const build = await insertBuild(store.db, newBuild());
        await claimBuild(store.db, clock, me, 1000, pg);
        clock.advance(900);
        expect(await heartbeat(store.db, clock, build!.id, me.id, 1000)).toEqual({ held: true, cancelRequested: false, cancelReason: null });
        clock.advance(900);
        expect(await abandonedBuilds(store.db, clock, null)).toHaveLength(0);
        await store.db.updateTable("builds").set({ cancel_requested: 1, cancel_reason: "Cancelled by @octocat" }).execute();
        expect(await heartbeat(store.db, clock, build!.id, me.id, 1000)).toEqual({ held: true, cancelRequested: true, cancelReason: "Cancelled by @octocat" });
      });

      it("finds this machine's running builds at start, whatever their lease", async () => {
        await insertBuild(store.db, newBuild());
        await insertBuild(store.db, newBuild());
        await claimBuild(store.db, clock, me, 60_000, pg);
        await claimBuild(store.db, clock, other, 60_000, pg);
        const mine = await abandonedBuilds(store.db, clock, me.host);
        expect(mine.map((b) => b.worker_id)).toEqual([me.id]);
      });
    });

    describe("outbox", () => {
      const entry = (key: string, n: number) => ({ key, kind: "check_run", installationId: 1, repository: "acme/shop", buildId: null, payload: { n } });

      it("sends one key's rows strictly in order, while other keys proceed", async () => {
        await enqueueOutbox(store.db, clock, entry("a", 1));
        await enqueueOutbox(store.db, clock, entry("a", 2));
        await enqueueOutbox(store.db, clock, entry("b", 1));
        const first = await claimOutbox(store.db, clock, "s1", 60_000, pg);
        const second = await claimOutbox(store.db, clock, "s2", 60_000, pg);
        // a:2 must wait for a:1 even though a sender is free.
        expect(await claimOutbox(store.db, clock, "s3", 60_000, pg)).toBeUndefined();
        expect([JSON.parse(first!.payload), first!.key, JSON.parse(second!.payload), second!.key]).toEqual([{ n: 1 }, "a", { n: 1 }, "b"]);

        await retryOutbox(store.db, clock, first!.id, "s1", "502 bad gateway", 10_000);
        expect(await claimOutbox(store.db, clock, "s3", 60_000, pg)).toBeUndefined();
        clock.advance(10_000);
        const retried = await claimOutbox(store.db, clock, "s3", 60_000, pg);
        expect(retried).toMatchObject({ id: first!.id, attempts: 2, last_error: "502 bad gateway" });
        await completeOutbox(store.db, clock, retried!.id, "s3", null);
        const next = await claimOutbox(store.db, clock, "s3", 60_000, pg);
        expect(JSON.parse(next!.payload)).toEqual({ n: 2 });
        expect(await outboxBacklog(store.db)).toEqual({ pending: 2, oldestCreatedAt: clock.now() - 10_000 });
      });

      it("re-offers a row whose sender died, and ignores the dead sender's completion", async () => {
        await enqueueOutbox(store.db, clock, entry("a", 1));
        const row = await claimOutbox(store.db, clock, "dead", 1000, pg);
        clock.advance(1001);
        const again = await claimOutbox(store.db, clock, "alive", 1000, pg);
        expect(again?.id).toBe(row!.id);
        await completeOutbox(store.db, clock, row!.id, "dead", null);
        expect((await outboxBacklog(store.db)).pending).toBe(1);
      });
    });

    describe("logs and meta", () => {
      it("appends chunks in order and reads them back whole or as a tail", async () => {
        const build = await insertBuild(store.db, newBuild());
        for (let i = 0; i < 5; i++) await store.appendLog({ buildId: build!.id, seq: i, data: [Buffer.from(`chunk ${i}\n`)], createdAt: clock.now(), workerId: null });
        expect(await nextLogSeq(store.db, build!.id)).toBe(5);
        const all = await readLogChunks(store.db, build!.id);
        expect(Buffer.concat(all.map((c) => c.data)).toString()).toBe("chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
        const tail = await readLogTail(store.db, build!.id, 10);
        expect(tail.map((c) => c.seq)).toEqual([3, 4]);
        expect(await logSize(store.db, build!.id)).toBe(40);
      });

      // Both ways of storing a chunk: the store's own (a writer thread on SQLite) and the
      // direct statement PostgreSQL uses, held to the same contract.
      const appenders: Array<[string, (chunk: LogChunkWrite) => Promise<boolean>]> = [
        ["store.appendLog", (chunk) => store.appendLog(chunk)],
        ["appendLogChunk", (chunk) => appendLogChunk(store.db, chunk)],
      ];
      it.each(appenders)("stores a worker's log chunks only while it holds the build (%s)", async (_name, append) => {
        const build = await insertBuild(store.db, newBuild());
        await claimBuild(store.db, clock, me, 1000, pg);
        const chunk = (seq: number, text: string, workerId: string) => append({ buildId: build!.id, seq, data: [Buffer.from(text)], createdAt: clock.now(), workerId });
        expect(await chunk(0, "first\n", me.id)).toBe(true);
        clock.advance(1001);
        const [lost] = await abandonedBuilds(store.db, clock, null);
        await requeueLost(store.db, lost!);
        await claimBuild(store.db, clock, other, 1000, pg);
        // The presumed-dead worker's late output goes nowhere; the successor's is kept.
        expect(await chunk(1, "late\n", me.id)).toBe(false);
        expect(await chunk(1, "second\n", other.id)).toBe(true);
        const all = await readLogChunks(store.db, build!.id);
        expect(Buffer.concat(all.map((c) => c.data)).toString()).toBe("first\nsecond\n");
        const [row] = await store.db.selectFrom("log_chunks").select("created_at").where("build_id", "=", build!.id).execute();
        expect(Number(row!.created_at)).toBe(clock.now() - 1001);
      });

      it("joins a chunk's pieces, stores large chunks whole and in order, and reports a failed write as an error", async () => {
        const build = await insertBuild(store.db, newBuild());
        const big = Buffer.alloc(3 * 1024 * 1024 + 7, "x");
        big.write("start", 0);
        big.write("end", big.length - 3);
        const small = Buffer.from("tail\n");
        await Promise.all([
          store.appendLog({
            buildId: build!.id,
            seq: 0,
            data: [big.subarray(0, 1000), big.subarray(1000, 2_000_000), big.subarray(2_000_000)],
            createdAt: clock.now(),
            workerId: null,
          }),
          store.appendLog({ buildId: build!.id, seq: 1, data: [small], createdAt: clock.now(), workerId: null }),
        ]);
        const all = await readLogChunks(store.db, build!.id);
        expect(all.map((c) => c.data.length)).toEqual([big.length, small.length]);
        expect(all[0]!.data.equals(big)).toBe(true);
        expect(all[1]!.data.toString()).toBe("tail\n");
        // The same (build, seq) twice breaks the primary key: an error, not a silent false.
        await expect(store.appendLog({ buildId: build!.id, seq: 1, data: [Buffer.from("again")], createdAt: clock.now(), workerId: null })).rejects.toThrow();
      });

      it("agrees on one shared secret across callers", async () => {
        const [a, b] = await Promise.all([sharedSecret(store.db, "k"), sharedSecret(store.db, "k")]);
        expect(a).toBe(b);
        expect(a.length).toBeGreaterThan(30);
      });
    });
  });
}
