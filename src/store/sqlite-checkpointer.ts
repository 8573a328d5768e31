import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

// SQLite copies the WAL back into the database file (a checkpoint) inside whichever commit
// pushes the WAL past 1,000 pages, and syncs both files meanwhile. better-sqlite3 commits
// on the main thread, so every such commit held Kickoff's event loop for tens of
// milliseconds: webhooks waited, builds' steps waited. The automatic checkpoint is turned
// off on the main connection and this thread does it instead, on a connection of its own,
// in PASSIVE mode, which never waits for (or blocks) a writer. The WAL is still reused
// from its start once everything in it is checkpointed, so it does not grow without end.

/** How often the thread looks. */
const INTERVAL_MS = 250;
/**
 * While commits keep coming (a build printing hundreds of megabytes), checkpointing would
 * sync the database file under the writers' feet; it waits for a quiet tick instead, but
 * never longer than this, which bounds the WAL to what is committed in that time.
 */
const MAX_DEFER_MS = 5000;

const WORKER = `
// import(), not require: eval code is CommonJS or an ES module depending on the flags
// node was started with; dynamic import works in both.
(async () => {
  const { parentPort, workerData } = await import("node:worker_threads");
  const { default: Database } = await import(workerData.module);
  const db = new Database(workerData.file, { fileMustExist: true });
  db.pragma("busy_timeout = 0");
  let stopped = false;
  let seen = -1;
  let lastCheckpoint = Date.now();
  const tick = () => {
    if (stopped) return;
    try {
      // Changes whenever another connection committed since this one last asked.
      const version = db.pragma("data_version", { simple: true });
      const quiet = version === seen;
      seen = version;
      if (quiet || Date.now() - lastCheckpoint >= workerData.maxDeferMs) {
        db.pragma("wal_checkpoint(PASSIVE)");
        lastCheckpoint = Date.now();
      }
    } catch (error) {
      // SQLITE_BUSY: another checkpoint runs; the next tick tries again.
    }
    setTimeout(tick, workerData.intervalMs);
  };
  parentPort.on("message", (message) => {
    if (message !== "stop") return;
    stopped = true;
    try {
      db.pragma("wal_checkpoint(PASSIVE)");
    } catch (error) {}
    db.close();
    parentPort.close();
  });
  tick();
  // A failure here rejects this promise, which ends the thread with an error the owner hears.
})();
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Checkpoints `file` (already in WAL mode) from a worker thread until stopped. Should the
 * thread fail, `onFailure` hands checkpoints back to the main connection, so the WAL can
 * never grow without end.
 */
export function startCheckpointer(file: string, onFailure: (error: unknown) => void): Checkpointer {
  const module = pathToFileURL(createRequire(import.meta.url).resolve("better-sqlite3")).href;
  const worker = new Worker(WORKER, { eval: true, execArgv: [], workerData: { file, module, intervalMs: INTERVAL_MS, maxDeferMs: MAX_DEFER_MS } });
  let stopping = false;
  worker.on("error", (error) => onFailure(error));
  const exited = new Promise<void>((resolve) =>
    worker.once("exit", (code) => {
      if (!stopping) onFailure(new Error(`the checkpoint thread exited (${code})`));
      resolve();
    }),
  );
  worker.unref();
  return {
    async stop() {
      stopping = true;
      // Held by the event loop again until it is gone, or an exiting process would not wait.
      worker.ref();
      worker.postMessage("stop");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
