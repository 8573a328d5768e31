import type { Worker } from "node:worker_threads";
import type { LogChunkWrite } from "./logs.js";
import { startSqliteThread } from "./sqlite-thread.js";

// A build printing at full speed hands Kickoff hundreds of megabytes to store; better-
// sqlite3 writes on the calling thread, so on the main thread every chunk held the event
// loop (webhooks, reports, other builds' output) and the build's own pipe waited for the
// disk. Log chunks are written by this thread instead, on a connection of its own, while
// the main thread goes on reading output. SQLite serialises the two connections' writes;
// each chunk is one short transaction.
//
// The statements mirror appendLogChunk (logs.ts), which PostgreSQL uses; the store
// contract tests run both against the same expectations.
const LOG_WRITER = `
  db.pragma("busy_timeout = 5000");
  db.pragma("synchronous = NORMAL");
  // The checkpointer thread copies the WAL back as chunks come; this connection's own
  // checkpoint, which lets SQLite start the WAL over, waits for 16384 pages (256 MB), so
  // a build printing a few hundred megabytes is not held up by it, and one printing
  // without end cannot grow the WAL without end.
  db.pragma("wal_autocheckpoint = 16384");
  // Prepared at the first chunk, not at start: the thread starts while the store's
  // migrations may still be making the tables.
  let append = null;
  const prepare = () => {
    const holder = db.prepare("select worker_id from builds where id = ? and status = 'running'");
    const insert = db.prepare("insert into log_chunks (build_id, seq, data, created_at) values (?, ?, ?, ?)");
    // IMMEDIATE: take the write lock first, so the holder check and the insert see one state.
    return db.transaction((m) => {
      if (m.workerId !== null && holder.get(m.buildId)?.worker_id !== m.workerId) return false;
      insert.run(m.buildId, m.seq, Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength), m.createdAt);
      return true;
    });
  };
  parentPort.on("message", (m) => {
    if (m === "stop") {
      db.close();
      parentPort.close();
      return;
    }
    // The chunk's buffer goes back with the answer, to carry the next chunk.
    try {
      append ??= prepare();
      parentPort.postMessage({ id: m.id, stored: append.immediate(m), buffer: m.data.buffer }, [m.data.buffer]);
    } catch (error) {
      parentPort.postMessage({ id: m.id, error: String((error && error.message) || error), buffer: m.data.buffer }, [m.data.buffer]);
    }
  });
`;

interface Reply {
  id: number;
  stored?: boolean;
  error?: string;
  buffer: ArrayBuffer;
}

/** Buffers kept for reuse. Garbage ArrayBuffers in the thread were freed only at its own
 * (rare) garbage collections, which let a long log hold ~100 MB; reused ones hold a few. */
const POOL_SIZE = 8;

export class SqliteLogWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(stored: boolean): void; reject(error: Error): void }>();
  private nextId = 1;
  private readonly pool: ArrayBuffer[] = [];
  private failure: Error | null = null;
  private stopping = false;
  private readonly exited: Promise<void>;

  /** `onFailure`: the thread died; chunks on their way reject with its error. */
  constructor(file: string, onFailure: (error: Error) => void) {
    this.worker = startSqliteThread(file, LOG_WRITER);
    this.worker.unref();
    this.worker.on("message", (reply: Reply) => {
      const entry = this.pending.get(reply.id);
      if (!entry) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (this.pool.length < POOL_SIZE) this.pool.push(reply.buffer);
      if (reply.error !== undefined) entry.reject(new Error(reply.error));
      else entry.resolve(reply.stored === true);
    });
    const fail = (error: Error) => {
      if (this.failure === null) onFailure(error);
      this.failure ??= error;
      for (const entry of this.pending.values()) entry.reject(error);
      this.pending.clear();
    };
    this.worker.on("error", fail);
    this.exited = new Promise((resolve) =>
      this.worker.once("exit", (code) => {
        if (!this.stopping) fail(new Error(`the log writer thread exited (${code})`));
        resolve();
      }),
    );
  }

  /** True once the thread died; the caller then stores chunks itself. */
  get failed(): boolean {
    return this.failure !== null;
  }

  /** Stores one chunk; resolves with whether it was stored (false: the build is no longer this worker's). */
  append(chunk: LogChunkWrite): Promise<boolean> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const size = chunk.data.reduce((sum, piece) => sum + piece.byteLength, 0);
    const data = new Uint8Array(this.buffer(size), 0, size);
    let at = 0;
    for (const piece of chunk.data) {
      data.set(piece, at);
      at += piece.byteLength;
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, ...chunk, data }, [data.buffer]);
    });
  }

  private buffer(size: number): ArrayBuffer {
    const index = this.pool.findIndex((b) => b.byteLength >= size);
    if (index >= 0) return this.pool.splice(index, 1)[0]!;
    // Rounded up to 64 KiB, so chunks of slightly different sizes share buffers.
    return new ArrayBuffer(Math.max(1, Math.ceil(size / 65536)) * 65536);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.worker.ref();
    this.worker.postMessage("stop");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    await this.worker.terminate();
  }
}
