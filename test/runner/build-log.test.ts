import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BuildLog } from "../../src/runner/build-log.js";
import { SecretMasker } from "../../src/runner/secret-masker.js";
import { ManualClock } from "../../src/shared/clock.js";
import { openStore, type Store } from "../../src/store/database.js";
import { appendLogChunk, type LogChunkWrite, readLogChunks } from "../../src/store/logs.js";
import { newBuild } from "../support/builds.js";

// build-log.ts's limits (not exported).
const FLUSH_BYTES = 256 * 1024;
const FLUSH_MS = 200;
const MAX_IN_FLIGHT_BYTES = 4 * 1024 * 1024;
const TAIL_BYTES = 96 * 1024;

const WORKER = "host:/data#1#log";
const NOTE = (text: string) => `\u001b[36m[kickoff]\u001b[0m ${text}\n`;

const tmp = mkdtempSync(path.join(os.tmpdir(), "kickoff-build-log-"));
let store: Store;
let buildId: number;
const clock = new ManualClock();

beforeAll(async () => {
  store = await openStore({ databaseUrl: null, dataDir: tmp });
});
afterAll(async () => {
  await store.close();
  rmSync(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  const row = await store.db
    .insertInto("builds")
    .values(newBuild({ status: "running", worker_id: WORKER }))
    .returning("id")
    .executeTakeFirstOrThrow();
  buildId = Number(row.id);
});

async function storedChunks(id = buildId) {
  return readLogChunks(store.db, id, -1, 100_000);
}

async function storedText(id = buildId): Promise<string> {
  return Buffer.concat((await storedChunks(id)).map((c) => c.data)).toString("utf8");
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Lets writes already answered take effect (their `.then`s run within a macrotask turn). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Deterministic bytes, different for each `seed`, so a reordered or lost piece shows. */
function bytes(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = 32 + ((i * 7 + seed * 13) % 90);
  return b;
}

const size = (chunk: LogChunkWrite) => chunk.data.reduce((sum, piece) => sum + piece.byteLength, 0);

interface Call {
  chunk: LogChunkWrite;
  at: number;
  settled: boolean;
  /** Stores the chunk in the real store and answers with its result. */
  release(): Promise<void>;
  fail(error: Error): void;
}

/**
 * The real store, but each appendLog waits until the test releases it (or `auto` is set),
 * so a test can hold chunks on their way and count what is outstanding.
 */
class HeldStore {
  readonly calls: Call[] = [];
  readonly store: Store;
  outstanding = 0;
  maxOutstanding = 0;
  acknowledgedBytes = 0;
  /** Release each call on the next macrotask instead of waiting for the test. */
  auto = false;

  constructor(real: Store) {
    this.store = { ...real, appendLog: (chunk) => this.append(real, chunk) };
  }

  async releaseAll(): Promise<void> {
    this.auto = true;
    for (const call of this.calls) if (!call.settled) await call.release();
  }

  private append(real: Store, chunk: LogChunkWrite): Promise<boolean> {
    this.outstanding += 1;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    return new Promise<boolean>((resolve, reject) => {
      const call: Call = {
        chunk,
        at: performance.now(),
        settled: false,
        release: async () => {
          if (call.settled) return;
          call.settled = true;
          const stored = await real.appendLog(chunk);
          this.outstanding -= 1;
          this.acknowledgedBytes += size(chunk);
          resolve(stored);
        },
        fail: (error) => {
          call.settled = true;
          this.outstanding -= 1;
          reject(error);
        },
      };
      this.calls.push(call);
      if (this.auto) setImmediate(() => void call.release());
    });
  }
}

describe("BuildLog", () => {
  it("batches output into chunks of FLUSH_BYTES, numbered 0..n-1, that join up to exactly what was written", async () => {
    const log = await BuildLog.open(store, clock, buildId, { workerId: WORKER });
    const pieces: Buffer[] = [];
    let total = 0;
    for (let i = 0; total < 5 * FLUSH_BYTES + 1234; i++) {
      const piece = bytes(1 + ((i * 7919) % 60_000), i);
      pieces.push(piece);
      total += piece.length;
      expect(log.write(piece)).toBeUndefined();
    }
    await log.close();

    const chunks = await storedChunks();
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    expect(Buffer.concat(chunks.map((c) => c.data)).equals(Buffer.concat(pieces))).toBe(true);
    // A chunk is cut as soon as FLUSH_BYTES wait (so it ends on the piece that got there); the rest goes at close.
    const expectedSizes: number[] = [];
    let waiting = 0;
    for (const piece of pieces) {
      waiting += piece.length;
      if (waiting >= FLUSH_BYTES) {
        expectedSizes.push(waiting);
        waiting = 0;
      }
    }
    if (waiting > 0) expectedSizes.push(waiting);
    expect(chunks.map((c) => c.data.length)).toEqual(expectedSizes);
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    expect(log.tail.totalBytes).toBe(total);
  });

  it("stores a small write after FLUSH_MS, without more output or a close", async () => {
    const held = new HeldStore(store);
    held.auto = true;
    const log = await BuildLog.open(held.store, clock, buildId, { workerId: WORKER });
    const wroteAt = performance.now();
    expect(log.write(Buffer.from("hello\n"))).toBeUndefined();
    await settle();
    expect(held.calls).toHaveLength(0);
    await waitFor("the timed flush", async () => (await storedChunks()).length === 1);
    expect(held.calls[0]!.at - wroteAt).toBeGreaterThanOrEqual(FLUSH_MS - 5);

    log.write(Buffer.from("world\n"));
    await waitFor("the second timed flush", async () => (await storedChunks()).length === 2);
    await log.close();
    expect(held.calls.map((c) => c.chunk.seq)).toEqual([0, 1]);
    expect(await storedText()).toBe("hello\nworld\n");
  });

  it("flushNow stores what waits at once, and nothing when nothing waits", async () => {
    const held = new HeldStore(store);
    held.auto = true;
    const log = await BuildLog.open(held.store, clock, buildId, { workerId: WORKER });
    log.flushNow();
    await settle();
    expect(held.calls).toHaveLength(0);

    log.write(Buffer.from("early output\n"));
    const flushedAt = performance.now();
    log.flushNow();
    await waitFor("the flush", () => held.calls.length === 1);
    expect(held.calls[0]!.at - flushedAt).toBeLessThan(FLUSH_MS / 2);
    await waitFor("the stored chunk", async () => (await storedChunks()).length === 1);
    await log.close();
    expect(held.calls).toHaveLength(1);
    expect(await storedText()).toBe("early output\n");
  });

  it("keeps notes in order with the output; ::error lines become annotations, notes never do", async () => {
    const log = await BuildLog.open(store, clock, buildId, { workerId: WORKER });
    const output = [
      "compiling\n::error file=src/a.ts,line=3,col=7::it broke\n",
      "::err",
      "or::split across writes\n",
      "::warning title=Slow::took ",
      "long", // the last line has no newline: it counts once the log is closed
    ];
    log.write(Buffer.from(output[0]!));
    await log.note("::error::Kickoff's own line");
    for (const piece of output.slice(1)) log.write(Buffer.from(piece));
    await log.close();

    const expected = output[0]! + NOTE("::error::Kickoff's own line") + output.slice(1).join("");
    expect(await storedText()).toBe(expected);
    expect(log.annotations.annotations).toEqual([
      { level: "failure", message: "it broke", path: "src/a.ts", startLine: 3, endLine: null, startColumn: 7, endColumn: null, title: null },
      { level: "failure", message: "split across writes", path: null, startLine: null, endLine: null, startColumn: null, endColumn: null, title: null },
      { level: "warning", message: "took long", path: null, startLine: null, endLine: null, startColumn: null, endColumn: null, title: "Slow" },
    ]);
    expect(log.tail.text()).toBe(expected);
  });

  it("masks secrets before storing, and lets held-back output go before a note", async () => {
    const secret = "s3cr3t-value-123";
    const log = await BuildLog.open(store, clock, buildId, { workerId: WORKER, masker: new SecretMasker([secret]) });
    log.write(Buffer.from("token=s3cr3t-"));
    log.write(Buffer.from("value-123 done\n::error::leaked s3cr3t-value-123\nwaiting for s3c"));
    await log.note("step finished");
    log.write(Buffer.from("bye\n"));
    await log.close();

    const expected = `token=*** done\n::error::leaked ***\nwaiting for s3c${NOTE("step finished")}bye\n`;
    expect(await storedText()).toBe(expected);
    expect(log.annotations.annotations.map((a) => a.message)).toEqual(["leaked ***"]);
    expect(log.tail.text()).toBe(expected);
    expect(log.tail.text()).not.toContain(secret);
  });

  it("keeps the last TAIL_BYTES of the output as the tail, from a line's start", async () => {
    const log = await BuildLog.open(store, clock, buildId, { workerId: WORKER });
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${"x".repeat(i % 40)}\n`);
    for (let i = 0; i < lines.length; i += 100) log.write(Buffer.from(lines.slice(i, i + 100).join("")));
    await log.close();
    const all = lines.join("");
    const tail = log.tail.text();
    expect(all.length).toBeGreaterThan(3 * TAIL_BYTES);
    expect(tail.length).toBeLessThanOrEqual(TAIL_BYTES);
    expect(tail.length).toBeGreaterThan(TAIL_BYTES - 100);
    expect(all.endsWith(tail)).toBe(true);
    expect(tail.startsWith("line ")).toBe(true);
    expect(all[all.length - tail.length - 1]).toBe("\n");
    expect(await storedText()).toBe(all);
  });

  it("continues the log of an earlier attempt", async () => {
    for (const seq of [0, 1]) await appendLogChunk(store.db, { buildId, seq, data: [Buffer.from(`attempt 1, chunk ${seq}\n`)], createdAt: 0, workerId: null });
    const log = await BuildLog.open(store, clock, buildId, { workerId: WORKER });
    await log.note("Attempt 2");
    await log.close();
    expect((await storedChunks()).map((c) => c.seq)).toEqual([0, 1, 2]);
    expect(await storedText()).toBe(`attempt 1, chunk 0\nattempt 1, chunk 1\n${NOTE("Attempt 2")}`);
  });

  it("writes chunks one at a time in seq order, and holds the output back only once more than MAX_IN_FLIGHT_BYTES wait", async () => {
    const held = new HeldStore(store);
    const log = await BuildLog.open(held.store, clock, buildId, { workerId: WORKER });
    const limit = MAX_IN_FLIGHT_BYTES / FLUSH_BYTES;
    const pieces = Array.from({ length: limit + 3 }, (_, i) => bytes(FLUSH_BYTES, i));

    // Exactly MAX_IN_FLIGHT_BYTES on their way, none stored yet: write still answers at once.
    for (const piece of pieces.slice(0, limit)) expect(log.write(piece)).toBeUndefined();
    await waitFor("the first appendLog", () => held.calls.length === 1);
    await settle();
    expect(held.calls).toHaveLength(1); // the others wait their turn, never two at once

    const blocked = log.write(pieces[limit]!);
    expect(blocked).toBeInstanceOf(Promise);
    let released = false;
    void blocked!.then(() => (released = true));
    await settle();
    expect(released).toBe(false);

    // One chunk stored: MAX_IN_FLIGHT_BYTES remain, which is allowed.
    await held.calls[0]!.release();
    await waitFor("the write to be let through", () => released);
    expect(held.acknowledgedBytes).toBe(FLUSH_BYTES);

    // Over the limit again: held until the next chunk is stored.
    const again = log.write(pieces[limit + 1]!);
    expect(again).toBeInstanceOf(Promise);
    let releasedAgain = false;
    void again!.then(() => (releasedAgain = true));
    await waitFor("the second appendLog", () => held.calls.length === 2);
    await settle();
    expect(releasedAgain).toBe(false);
    expect(held.calls.map((c) => c.chunk.seq)).toEqual([0, 1]);
    await held.calls[1]!.release();
    await waitFor("the second write to be let through", () => releasedAgain);

    log.write(pieces[limit + 2]!);
    await held.releaseAll();
    await log.close();
    expect(held.maxOutstanding).toBe(1);
    expect(held.calls.map((c) => c.chunk.seq)).toEqual(pieces.map((_, i) => i));
    const chunks = await storedChunks();
    expect(chunks.map((c) => c.seq)).toEqual(pieces.map((_, i) => i));
    expect(Buffer.concat(chunks.map((c) => c.data)).equals(Buffer.concat(pieces))).toBe(true);
  });

  it("keeps memory bounded for a run printing far more than the limit, when its pump waits as asked", async () => {
    const held = new HeldStore(store);
    held.auto = true;
    const log = await BuildLog.open(held.store, clock, buildId, { workerId: WORKER });
    const PIECE = 64 * 1024;
    const pieces = 6 * (MAX_IN_FLIGHT_BYTES / PIECE);
    let written = 0;
    let maxUnacknowledged = 0;
    let heldBack = 0;
    const whole: Buffer[] = [];
    for (let i = 0; i < pieces; i++) {
      const piece = bytes(PIECE, i);
      whole.push(piece);
      written += piece.length;
      const wait = log.write(piece);
      const unacknowledged = written - held.acknowledgedBytes;
      maxUnacknowledged = Math.max(maxUnacknowledged, unacknowledged);
      if (wait) {
        heldBack += 1;
        // Held back only when more than the limit is on its way.
        expect(unacknowledged).toBeGreaterThan(MAX_IN_FLIGHT_BYTES);
        await wait;
      } else {
        expect(unacknowledged).toBeLessThanOrEqual(MAX_IN_FLIGHT_BYTES + FLUSH_BYTES);
      }
    }
    await log.close();
    expect(heldBack).toBeGreaterThan(10);
    // At most the limit, one chunk being cut and one piece: a few chunks, whatever the run prints.
    expect(maxUnacknowledged).toBeLessThanOrEqual(MAX_IN_FLIGHT_BYTES + FLUSH_BYTES + PIECE);
    expect(held.maxOutstanding).toBe(1);
    const chunks = await storedChunks();
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    expect(Buffer.concat(chunks.map((c) => c.data)).equals(Buffer.concat(whole))).toBe(true);
  });

  it("stops storing once a chunk was refused because another worker holds the build", async () => {
    const held = new HeldStore(store);
    held.auto = true;
    const log = await BuildLog.open(held.store, clock, buildId, { workerId: WORKER });
    log.write(bytes(FLUSH_BYTES, 1));
    await waitFor("the first chunk", async () => (await storedChunks()).length === 1);

    await store.db.updateTable("builds").set({ worker_id: "host2:/data#2#other" }).where("id", "=", buildId).execute();
    log.write(bytes(FLUSH_BYTES, 2)); // refused
    await waitFor("the refusal", () => held.calls.length === 2 && held.calls[1]!.settled && held.outstanding === 0);
    await settle();
    for (let i = 3; i < 6; i++) expect(log.write(bytes(FLUSH_BYTES, i))).toBeUndefined();
    await log.note("not stored either");
    await log.close();

    expect(held.calls).toHaveLength(2);
    expect((await storedChunks()).map((c) => c.seq)).toEqual([0]);
    // The output still reaches the tail (the successor reports the build, not this worker).
    expect(log.tail.totalBytes).toBe(5 * FLUSH_BYTES + NOTE("not stored either").length);
  });

  it("once a write failed, rejects the next write and close, and stores nothing more", async () => {
    const held = new HeldStore(store);
    const log = await BuildLog.open(held.store, clock, buildId, { workerId: WORKER });
    log.write(bytes(FLUSH_BYTES, 0));
    log.write(bytes(FLUSH_BYTES, 1));
    log.write(bytes(FLUSH_BYTES, 2));
    await waitFor("the first appendLog", () => held.calls.length === 1);
    await held.calls[0]!.release();
    await waitFor("the second appendLog", () => held.calls.length === 2);
    held.calls[1]!.fail(new Error("disk I/O error"));
    await settle();

    const next = log.write(Buffer.from("more output\n"));
    expect(next).toBeInstanceOf(Promise);
    await expect(next).rejects.toThrow("disk I/O error");
    await expect(log.close()).rejects.toThrow("disk I/O error");
    // The chunk queued behind the failed one was never tried.
    expect(held.calls).toHaveLength(2);
    expect((await storedChunks()).map((c) => c.seq)).toEqual([0]);
  });

  it("a failure while over the limit, after flushNow and the timer, reaches write and close and nothing else (no unhandled rejection)", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const held = new HeldStore(store);
      const log = await BuildLog.open(held.store, clock, buildId, { workerId: WORKER });
      const full = Math.ceil((4 * 1024 * 1024) / FLUSH_BYTES);
      for (let i = 0; i < full; i++) log.write(bytes(FLUSH_BYTES, i));
      log.write(Buffer.from("small\n"));
      log.flushNow();
      log.write(Buffer.from("for the timer\n"));
      await waitFor("the first appendLog", () => held.calls.length === 1);
      held.calls[0]!.fail(new Error("disk full"));
      await new Promise((r) => setTimeout(r, 300));
      await expect(log.close()).rejects.toThrow("disk full");
      await settle();
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
