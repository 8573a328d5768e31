import { startSqliteThread } from "./sqlite-thread.js";

// SQLite copies the WAL back into the database file (a checkpoint) inside whichever commit
// pushes the WAL past 1,000 pages, and syncs both files meanwhile. better-sqlite3 commits
// on the main thread, so every such commit held Kickoff's event loop for tens of
// milliseconds: webhooks waited, builds' steps waited. The automatic checkpoint is turned
// off on the main connection and this thread does it instead, on a connection of its own,
// mostly in PASSIVE mode, which never waits for (or blocks) a writer.

/** How often the thread looks. */
const INTERVAL_MS = 250;
/**
 * A PASSIVE checkpoint taken while commits keep coming never catches up with them, and
 * SQLite starts the WAL over only once it has. Past this size the thread checkpoints in
 * RESTART mode instead, which holds new writers back for as long as it takes to copy the
 * little the PASSIVE ones left and to reset the log: a brief stall, and a bounded WAL.
 */
const RESTART_BYTES = 64 * 1024 * 1024;
/**
 * While commits keep coming (a build printing hundreds of megabytes), checkpointing would
 * sync the database file under the writers' feet; it waits for a quiet tick instead, but
 * never longer than this, nor past a WAL file of MAX_DEFER_BYTES.
 */
const MAX_DEFER_MS = 5000;
const MAX_DEFER_BYTES = 256 * 1024 * 1024;

const CHECKPOINTER = `
  const { statSync } = await import("node:fs");
  db.pragma("busy_timeout = 0");
  const pageSize = db.pragma("page_size", { simple: true });
  const walSize = () => {
    try {
      return statSync(workerData.file + "-wal").size;
    } catch (error) {
      return 0;
    }
  };
  let stopped = false;
  let seen = -1;
  let checkpointed = -1;
  let lastCheckpoint = Date.now();
  const tick = () => {
    if (stopped) return;
    try {
      // Changes whenever another connection committed since this one last asked.
      const version = db.pragma("data_version", { simple: true });
      const quiet = version === seen;
      seen = version;
      const due = quiet || Date.now() - lastCheckpoint >= workerData.maxDeferMs || walSize() > workerData.maxDeferBytes;
      if (version !== checkpointed && due) {
        const [result] = db.pragma("wal_checkpoint(PASSIVE)");
        checkpointed = version;
        lastCheckpoint = Date.now();
        if (result.log * pageSize > workerData.restartBytes) {
          db.pragma("busy_timeout = 2000");
          try {
            db.pragma("wal_checkpoint(RESTART)");
          } finally {
            db.pragma("busy_timeout = 0");
          }
        }
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
  const worker = startSqliteThread(file, CHECKPOINTER, { intervalMs: INTERVAL_MS, maxDeferMs: MAX_DEFER_MS, maxDeferBytes: MAX_DEFER_BYTES, restartBytes: RESTART_BYTES });
  let stopping = false;
  let failed = false;
  const fail = (error: unknown) => {
    if (stopping || failed) return;
    failed = true;
    onFailure(error);
  };
  worker.on("error", fail);
  const exited = new Promise<void>((resolve) =>
    worker.once("exit", (code) => {
      fail(new Error(`the checkpoint thread exited (${code})`));
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
