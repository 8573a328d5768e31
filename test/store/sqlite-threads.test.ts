import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/database.js";
import { readLogChunks } from "../../src/store/logs.js";
import { SqliteLogWriter } from "../../src/store/sqlite-log-writer.js";
import { newBuild } from "../support/builds.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** sqlite-checkpointer.ts: how often its thread looks. */
const INTERVAL_MS = 250;
const WORKER = "host:/data#1#threads";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kickoff-sqlite-threads-"));
const opened: Store[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(tmp, { recursive: true, force: true });
});

async function freshStore(): Promise<{ store: Store; file: string }> {
  const dataDir = mkdtempSync(path.join(tmp, "data-"));
  const store = await openStore({ databaseUrl: null, dataDir });
  opened.push(store);
  return { store, file: path.join(dataDir, "kickoff.db") };
}

async function runningBuild(store: Store, workerId: string | null = WORKER): Promise<number> {
  const row = await store.db
    .insertInto("builds")
    .values(newBuild({ status: "running", worker_id: workerId }))
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Changes whenever a connection other than the store's own committed (SQLite's PRAGMA data_version). */
async function dataVersion(store: Store): Promise<number> {
  const { rows } = await sql<{ data_version: number }>`pragma data_version`.execute(store.db);
  return rows[0]!.data_version;
}

interface WalIndex {
  /** Frames in the WAL. */
  mxFrame: number;
  /** Frames already copied back into the database file. */
  nBackfill: number;
  /** Set when a checkpoint starts: the frames it means to copy. */
  attempted: number;
  /** Changes when the WAL is started over from its beginning. */
  salt: string;
}

/**
 * The WAL index header in `<db>-shm` (https://www.sqlite.org/walformat.html), read
 * without a connection: asking SQLite (wal_checkpoint) would checkpoint, which is what
 * the test wants to see the thread do.
 */
function walIndex(dbFile: string): WalIndex {
  const fd = openSync(`${dbFile}-shm`, "r");
  try {
    const b = Buffer.alloc(136);
    for (let attempt = 0; attempt < 1000; attempt++) {
      readSync(fd, b, 0, b.length, 0);
      // Two copies of the header: a reader that sees them differ caught a writer mid-update.
      if (b[12] !== 1 || !b.subarray(0, 48).equals(b.subarray(48, 96))) continue;
      const u32 = (at: number) => (os.endianness() === "LE" ? b.readUInt32LE(at) : b.readUInt32BE(at));
      return { mxFrame: u32(16), nBackfill: u32(96), attempted: u32(128), salt: b.subarray(32, 40).toString("hex") };
    }
    throw new Error("the WAL index header never read the same twice");
  } finally {
    closeSync(fd);
  }
}

const checkpointedSince = (now: WalIndex, base: WalIndex) => now.salt !== base.salt || now.attempted > base.attempted || now.nBackfill > base.nBackfill;
const fullyBackfilled = (w: WalIndex) => w.nBackfill === w.mxFrame;

/** Bytes that differ from chunk to chunk and within one, so a swapped or cut piece shows. */
function bytes(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return b;
}

/**
 * Commits a small log chunk every few milliseconds from a thread of its own (its own
 * connection, no automatic checkpoints), so commits keep coming whatever the test's event
 * loop does.
 */
function continuousWriter(file: string, buildId: number): { commits(): number; stop(): Promise<number> } {
  const shared = new Int32Array(new SharedArrayBuffer(8));
  const module = pathToFileURL(createRequire(import.meta.url).resolve("better-sqlite3")).href;
  const code = `
    (async () => {
      const { workerData } = await import("node:worker_threads");
      const { default: Database } = await import(workerData.module);
      const db = new Database(workerData.file, { fileMustExist: true });
      db.pragma("busy_timeout = 5000");
      db.pragma("wal_autocheckpoint = 0");
      const insert = db.prepare("insert into log_chunks (build_id, seq, data, created_at) values (?, ?, ?, 0)");
      const shared = workerData.shared;
      const pause = new Int32Array(new SharedArrayBuffer(4));
      for (let seq = 0; Atomics.load(shared, 0) === 0; seq++) {
        insert.run(workerData.buildId, seq, Buffer.alloc(2000, 120));
        Atomics.store(shared, 1, seq + 1);
        Atomics.wait(pause, 0, 0, 4);
      }
      db.close();
    })();
  `;
  const worker = new Worker(code, { eval: true, workerData: { file, module, buildId, shared } });
  const exited = new Promise<number>((resolve) => worker.once("exit", resolve));
  return {
    commits: () => Atomics.load(shared, 1),
    /** Resolves with the thread's exit code. */
    stop() {
      Atomics.store(shared, 0, 1);
      return exited;
    },
  };
}

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From the result line to the process's exit. */
  exitAfterResultMs: number | null;
}

/** Runs `script` (an ES module, TypeScript imports through tsx) in a child process and waits for it to exit by itself. */
function runChild(script: string, args: string[], timeoutMs = 20_000): Promise<ChildResult> {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, "--", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmp },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let resultAt: number | null = null;
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    if (resultAt === null && stdout.includes("\n")) resultAt = performance.now();
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", (code) => {
      const exitedAt = performance.now();
      clearTimeout(timer);
      // Let the pipes drain.
      child.once("close", () => resolve({ code, stdout, stderr, exitAfterResultMs: resultAt === null ? null : exitedAt - resultAt }));
    });
  });
}

const src = (file: string) => JSON.stringify(pathToFileURL(path.join(ROOT, "src", file)).href);

describe("SQLite's helper threads", () => {
  it("keeps SQLite's own checkpoint on the main connection (what lets the WAL start over), in WAL mode", async () => {
    const { store } = await freshStore();
    const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
    expect(rows[0]!.wal_autocheckpoint).toBe(1000);
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
    expect(mode.rows[0]!.journal_mode).toBe("wal");
  });

  it("checkpoints the WAL in the background after a burst of writes, and the WAL then starts over", async () => {
    const { store, file } = await freshStore();
    const buildId = await runningBuild(store);
    await Promise.all(Array.from({ length: 150 }, (_, seq) => store.appendLog({ buildId, seq, data: [bytes(64 * 1024, seq)], createdAt: 0, workerId: WORKER })));
    const burst = walIndex(file);
    expect(burst.mxFrame).toBeGreaterThan(600); // 150 × 64 KB in 16 KB pages
    // Within a few ticks, with no commit of the main connection to make it.
    await waitFor(
      "the checkpoint thread to copy the WAL back",
      () => {
        const now = walIndex(file);
        return now.salt === burst.salt && now.mxFrame >= burst.mxFrame && fullyBackfilled(now);
      },
      8 * INTERVAL_MS,
    );
    // Everything checkpointed: the next commit writes the WAL from its start again.
    await store.appendLog({ buildId, seq: 150, data: [Buffer.from("after")], createdAt: 0, workerId: WORKER });
    const after = walIndex(file);
    expect(after.salt).not.toBe(burst.salt);
    expect(after.mxFrame).toBeLessThan(10);
    expect((await readLogChunks(store.db, buildId, -1, 1000)).map((c) => c.seq)).toEqual(Array.from({ length: 151 }, (_, i) => i));
  });

  it("stores log chunks through its thread: 50 at once, of every size, each whole and in order", async () => {
    const { store } = await freshStore();
    const buildId = await runningBuild(store);
    const sizes = Array.from({ length: 50 }, (_, i) => (i === 7 ? 0 : i === 23 ? 2 * 1024 * 1024 : (i * 40_009) % 300_000));
    const chunks = sizes.map((n, seq) => bytes(n, seq));
    const backing = Buffer.concat([Buffer.from("padding"), ...chunks]);
    // Each chunk in up to three pieces, views into one larger buffer (an empty piece among them).
    let at = 7;
    const pieces = chunks.map((chunk, seq) => {
      const view = backing.subarray(at, at + chunk.length);
      at += chunk.length;
      const a = Math.floor(view.length / 3);
      return seq % 3 === 0 ? [view] : seq % 3 === 1 ? [view.subarray(0, a), view.subarray(a)] : [view.subarray(0, a), view.subarray(a, a), view.subarray(a)];
    });

    const before = await dataVersion(store);
    const results = await Promise.all(pieces.map((data, seq) => store.appendLog({ buildId, seq, data, createdAt: 1000 + seq, workerId: WORKER })));
    expect(results).toEqual(sizes.map(() => true));
    // Committed by another connection: the thread's, not the store's own.
    expect(await dataVersion(store)).not.toBe(before);

    const stored = await readLogChunks(store.db, buildId, -1, 1000);
    expect(stored.map((c) => c.seq)).toEqual(sizes.map((_, i) => i));
    for (const [i, c] of stored.entries()) expect(c.data.equals(chunks[i]!), `chunk ${i} (${sizes[i]} bytes)`).toBe(true);
    const { rows } = await sql<{ seq: number }>`select seq from log_chunks where build_id = ${buildId} order by rowid`.execute(store.db);
    expect(rows.map((r) => Number(r.seq))).toEqual(sizes.map((_, i) => i));

    // Buffers handed back by the thread carry later, smaller chunks without stale bytes.
    for (let seq = 50; seq < 60; seq++) expect(await store.appendLog({ buildId, seq, data: [bytes(seq * 10, seq)], createdAt: 0, workerId: WORKER })).toBe(true);
    const later = await readLogChunks(store.db, buildId, 49, 1000);
    expect(later.map((c) => c.data.equals(bytes(c.seq * 10, c.seq)))).toEqual(later.map(() => true));
    expect(later).toHaveLength(10);
  });

  it("keeps appendLog's contract on its thread: only for the build's holder, and a failed insert rejects without ending the thread", async () => {
    const { store } = await freshStore();
    const buildId = await runningBuild(store);
    expect(await store.appendLog({ buildId, seq: 0, data: [Buffer.from("mine")], createdAt: 0, workerId: WORKER })).toBe(true);
    expect(await store.appendLog({ buildId, seq: 1, data: [Buffer.from("theirs")], createdAt: 0, workerId: "host2:/data#2#x" })).toBe(false);
    await expect(store.appendLog({ buildId, seq: 0, data: [Buffer.from("again")], createdAt: 0, workerId: WORKER })).rejects.toThrow(/UNIQUE/);
    expect(await store.appendLog({ buildId, seq: 1, data: [Buffer.from("unconditional")], createdAt: 0, workerId: null })).toBe(true);
    const stored = await readLogChunks(store.db, buildId);
    expect(stored.map((c) => [c.seq, c.data.toString()])).toEqual([
      [0, "mine"],
      [1, "unconditional"],
    ]);
  });

  it("a log writer on a file that cannot be opened reports the failure once and rejects appends with its error", async () => {
    for (const file of [path.join(tmp, "no-such-dir", "kickoff.db"), path.join(tmp, "no-such-file.db")]) {
      const failures: unknown[] = [];
      const writer = new SqliteLogWriter(file, (error) => failures.push(error));
      expect(writer.failed).toBe(false);
      // Sent before the thread failed: rejected when it does, not left hanging.
      const early = writer.append({ buildId: 1, seq: 0, data: [Buffer.from("x")], createdAt: 0, workerId: null });
      const earlyError = await early.then(
        () => new Error("stored"),
        (error: unknown) => error,
      );
      expect(failures).toHaveLength(1);
      expect(earlyError).toBe(failures[0]);
      expect(writer.failed).toBe(true);
      await expect(writer.append({ buildId: 1, seq: 1, data: [], createdAt: 0, workerId: null })).rejects.toBe(failures[0]);
      expect(failures).toHaveLength(1);
      // SQLite's own words, not an object that lost them crossing threads.
      expect(failures[0]).toBeInstanceOf(Error);
      expect((failures[0] as Error).message).toMatch(/database/i);
      // Stopping a writer whose thread is already gone does not wait for it.
      const t = performance.now();
      await writer.stop();
      expect(performance.now() - t).toBeLessThan(1000);
    }
  });

  it("a store opened while its event loop is busy still writes logs through the thread (its statements wait for the migrations)", async () => {
    const dataDir = mkdtempSync(path.join(tmp, "busy-"));
    const errors: unknown[] = [];
    const pending = openStore({ databaseUrl: null, dataDir, onThreadError: (_thread, error) => errors.push(error) });
    // The threads start at once; the migrations run when this loop is free again.
    const until = Date.now() + 300;
    while (Date.now() < until) {
      // busy
    }
    const store = await pending;
    opened.push(store);
    const buildId = await runningBuild(store);
    const before = await dataVersion(store);
    expect(await store.appendLog({ buildId, seq: 0, data: [Buffer.from("through the thread\n")], createdAt: 0, workerId: WORKER })).toBe(true);
    expect(await dataVersion(store)).not.toBe(before);
    expect(errors).toEqual([]);
  });
});

describe.concurrent("SQLite's helper threads, over time and in other processes", () => {
  it("copies the WAL back while commits keep coming, tick after tick, with no commit of the main connection", async ({ expect }) => {
    const { store, file } = await freshStore();
    const buildId = await runningBuild(store, null);
    const writer = continuousWriter(file, buildId);
    try {
      await waitFor("the first commit", () => writer.commits() > 0);
      for (let i = 0; i < 3; i++) {
        const base = walIndex(file);
        const start = performance.now();
        await waitFor("a checkpoint under continuous commits", () => checkpointedSince(walIndex(file), base), 3000);
        // Within a tick or two (and some slack for a busy machine), not after the commits stop.
        expect(performance.now() - start).toBeLessThan(4 * INTERVAL_MS + 1000);
      }
      expect(writer.commits()).toBeGreaterThan(50);
    } finally {
      expect(await writer.stop()).toBe(0);
    }
    await waitFor("the quiet checkpoint", () => fullyBackfilled(walIndex(file)), 3000);
  });

  it("keeps the WAL bounded under commits that never pause: it is started over, not left to grow", async ({ expect }) => {
    const { store, file } = await freshStore();
    const buildId = await runningBuild(store, null);
    // 1 MB chunks, one after another for 10 s: without a restart the WAL only grows.
    const big = Buffer.alloc(1024 * 1024, 120);
    let seq = 0;
    let maxWal = 0;
    let restarts = 0;
    let frames = 0;
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      await store.appendLog({ buildId, seq: seq++, data: [big], createdAt: 0, workerId: null });
      const now = walIndex(file).mxFrame;
      if (now < frames) restarts++;
      frames = now;
      maxWal = Math.max(maxWal, now * 16384);
    }
    const written = seq * big.length;
    expect(restarts).toBeGreaterThan(0);
    // Bounded by when a checkpoint is due (a 256 MB WAL) plus what arrives while it runs,
    // not by what was written.
    expect(maxWal).toBeLessThan(768 * 1024 * 1024);
    expect(maxWal).toBeLessThan(written);
  });

  it("store.close() ends both threads, so a process that used the store exits by itself", async ({ expect }) => {
    const dataDir = mkdtempSync(path.join(tmp, "exit-"));
    const script = `
      import { existsSync, readFileSync } from "node:fs";
      import path from "node:path";
      import { openStore } from ${src("store/database.ts")};
      const dataDir = process.argv[1];
      const threads = () => Number(/^Threads:\\s+(\\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))[1]);
      const until = async (what, ok) => {
        const deadline = Date.now() + 5000;
        while (!ok()) {
          if (Date.now() > deadline) throw new Error("timed out waiting for " + what + " (threads: " + threads() + ")");
          await new Promise((r) => setTimeout(r, 5));
        }
      };
      const before = threads();
      const store = await openStore({ databaseUrl: null, dataDir });
      await until("both helper threads", () => threads() >= before + 2);
      const during = threads();
      const { id } = await store.db.insertInto("builds").values(${JSON.stringify(newBuild({ status: "running", worker_id: WORKER }))}).returning("id").executeTakeFirstOrThrow();
      const stored = await store.appendLog({ buildId: Number(id), seq: 0, data: [Buffer.from("bye")], createdAt: 0, workerId: ${JSON.stringify(WORKER)} });
      await store.close();
      await until("the helper threads to end", () => threads() <= before);
      // Every connection closed: the last one removes the WAL.
      console.log(JSON.stringify({ before, during, after: threads(), stored, wal: existsSync(path.join(dataDir, "kickoff.db-wal")) }));
    `;
    const result = await runChild(script, [dataDir]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { before: number; during: number; after: number; stored: boolean; wal: boolean };
    expect(report).toMatchObject({ stored: true, wal: false });
    expect(report.during).toBeGreaterThanOrEqual(report.before + 2);
    expect(report.after).toBeLessThanOrEqual(report.before);
    // Nothing left holding the event loop once the store is closed.
    expect(result.exitAfterResultMs).toBeLessThan(2000);
  });

  it("falls back to the main connection when the log writer thread has failed", async ({ expect }) => {
    const dir = mkdtempSync(path.join(tmp, "fallback-"));
    // The helper threads open the database by the name the store was given, once they have
    // started; a relative name and a change of directory meanwhile make both fail to open it
    // while the main connection (already open) carries on.
    const script = `
      import { mkdirSync } from "node:fs";
      import path from "node:path";
      import { sql } from "kysely";
      import { openStore } from ${src("store/database.ts")};
      const dir = process.argv[1];
      mkdirSync(path.join(dir, "db"));
      mkdirSync(path.join(dir, "elsewhere"));
      const failed = [];
      process.chdir(path.join(dir, "db"));
      const opening = openStore({ databaseUrl: "sqlite:kickoff.db", dataDir: dir, onThreadError: (thread) => failed.push(thread) });
      process.chdir(path.join(dir, "elsewhere"));
      const store = await opening;
      const deadline = Date.now() + 5000;
      while (!(failed.includes("log writer") && failed.includes("checkpoint"))) {
        if (Date.now() > deadline) throw new Error("the helper threads did not fail: " + failed);
        await new Promise((r) => setTimeout(r, 5));
      }
      const version = async () => (await sql\`pragma data_version\`.execute(store.db)).rows[0].data_version;
      const autocheckpoint = (await sql\`pragma wal_autocheckpoint\`.execute(store.db)).rows[0].wal_autocheckpoint;
      const { id } = await store.db.insertInto("builds").values(${JSON.stringify(newBuild({ status: "running", worker_id: WORKER }))}).returning("id").executeTakeFirstOrThrow();
      const v0 = await version();
      const stored = await store.appendLog({ buildId: Number(id), seq: 0, data: [Buffer.from("fall"), Buffer.from("back")], createdAt: 0, workerId: ${JSON.stringify(WORKER)} });
      const refused = await store.appendLog({ buildId: Number(id), seq: 1, data: [Buffer.from("theirs")], createdAt: 0, workerId: "someone else" });
      const v1 = await version();
      const rows = await store.db.selectFrom("log_chunks").select(["seq", "data"]).where("build_id", "=", Number(id)).orderBy("seq").execute();
      console.log(JSON.stringify({
        failed: [...new Set(failed)].sort(),
        stored,
        refused,
        byMainConnection: v0 === v1,
        rows: rows.map((r) => [r.seq, Buffer.from(r.data).toString()]),
        autocheckpoint,
      }));
      // Not store.close(): with the log writer thread dead it waits 5 s for nothing.
      process.exit(0);
    `;
    const result = await runChild(script, [dir]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      failed: ["checkpoint", "log writer"],
      stored: true,
      refused: false,
      byMainConnection: true,
      rows: [[0, "fallback"]],
      // The main connection's own checkpoints go on without the thread.
      autocheckpoint: 1000,
    });
  });
});
