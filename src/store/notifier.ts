import pg from "pg";
import type { Logger } from "pino";

/** The channel the `*_notify_work` triggers (migration 0003) notify on. */
export const WORK_CHANNEL = "kickoff_work";

export interface WorkListenerOptions {
  /** The PostgreSQL URL the store uses (its search_path picks the schema). */
  url: string;
  /** Wakes this process's loops. */
  wake(): void;
  log: Logger;
  /** First reconnect delay; doubles up to 30 s. */
  retryMs?: number;
}

export interface WorkListener {
  /** Resolves once the first LISTEN is in place (or the first attempt failed). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

const MAX_RETRY_MS = 30_000;

/**
 * Cross-process wake-ups on PostgreSQL: one dedicated connection (LISTEN needs a session,
 * so not a pooled one) hears the triggers' notifications and wakes this process's loops.
 * It only shortens latency: the loops still poll, so a lost connection costs speed,
 * never work. After each (re)connect it wakes the loops once, for anything committed
 * while nobody was listening.
 */
export function listenForWork(o: WorkListenerOptions): WorkListener {
  const log = o.log.child({ name: "notifier" });
  const firstRetryMs = o.retryMs ?? 1000;
  let retryMs = firstRetryMs;
  let client: pg.Client | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const scheduleReconnect = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, retryMs);
    retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: o.url });
    client = c;
    let failed = false;
    const lost = (error?: Error) => {
      if (failed) return;
      failed = true;
      if (client === c) client = null;
      c.end().catch(() => undefined);
      if (closed) return;
      log.warn({ err: error, retryInMs: retryMs }, "lost the PostgreSQL LISTEN connection; reconnecting (loops keep polling meanwhile)");
      scheduleReconnect();
    };
    // A dropped connection emits `error` (and `end`); without a handler it would crash the process.
    c.on("error", lost);
    c.on("end", () => lost());
    try {
      await c.connect();
      const { rows } = await c.query<{ schema: string | null }>("select current_schema() as schema");
      const schema = rows[0]?.schema ?? null;
      c.on("notification", (n) => {
        // Another Kickoff in another schema of this database is none of our business.
        if (n.payload === schema) o.wake();
      });
      await c.query(`listen ${WORK_CHANNEL}`);
      if (closed) {
        await c.end().catch(() => undefined);
        return;
      }
      retryMs = firstRetryMs;
      log.debug({ schema }, "listening for work");
      o.wake();
    } catch (error) {
      lost(error instanceof Error ? error : new Error(String(error)));
    }
  };

  const ready = connect();
  return {
    ready,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
