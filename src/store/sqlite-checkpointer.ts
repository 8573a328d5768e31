import { startSqliteThread } from "./sqlite-thread.js";

// SQLite copies the WAL back into the database file (a checkpoint) inside whichever commit
// pushes the WAL past 1,000 pages, and syncs the database file meanwhile. better-sqlite3
// commits on the main thread, so each such commit held Kickoff's event loop for as long as
// copying and syncing took. This thread does the copying in the background instead, on a
// connection of its own, in PASSIVE mode, which never waits for (or blocks) a writer. The
// main connection keeps its automatic checkpoint: by the time a commit triggers it, the
// thread has copied (nearly) everything, so it has (almost) nothing left to do, and it is
// what lets SQLite start the WAL over, which it does only when a writer finds it fully
// copied back. A PASSIVE checkpoint alone, racing commits that keep coming, never is.

/** How often the thread looks. */
const INTERVAL_MS = 250;

const CHECKPOINTER = `
  db.pragma("busy_timeout = 0");
  let stopped = false;
  let checkpointed = -1;
  const tick = () => {
    if (stopped) return;
    try {
      // Changes whenever another connection committed since this one last asked.
      const version = db.pragma("data_version", { simple: true });
      if (version !== checkpointed) {
        db.pragma("wal_checkpoint(PASSIVE)");
        checkpointed = version;
      }
    } catch (error) {
      // SQLITE_BUSY: another checkpoint runs; the next tick tries again.
    }
    setTimeout(tick, workerData.intervalMs);
  };
  parentPort.on("message", (message) => {
    if (message !== "stop") return;
    stopped = true;
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
 * thread fail, `onFailure` is told; the main connection's own checkpoints go on.
 */
export function startCheckpointer(file: string, onFailure: (error: unknown) => void): Checkpointer {
  const worker = startSqliteThread(file, CHECKPOINTER, { intervalMs: INTERVAL_MS });
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
