import { mkdirSync } from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { isMigrated, migrateToLatest } from "./migrations.js";
import { appendLogChunk, type LogChunkWrite } from "./logs.js";
import { type Checkpointer, startCheckpointer } from "./sqlite-checkpointer.js";
import { SqliteLogWriter } from "./sqlite-log-writer.js";
import { cachingDatabase } from "./sqlite-statement-cache.js";
import type { Database } from "./schema.js";

export type Dialect = "sqlite" | "postgres";

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /**
   * Stores a chunk of a build's log (appendLogChunk's contract). On SQLite a thread of its
   * own does the writing (sqlite-log-writer.ts); the chunk's bytes are handed over.
   */
  appendLog(chunk: LogChunkWrite): Promise<boolean>;
  /** Where SQLite keeps its file, or the PostgreSQL URL with the password removed. */
  readonly location: string;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  databaseUrl: string | null;
  dataDir: string;
  /** PostgreSQL pool size for this process. */
  poolSize?: number;
  /** Told when one of SQLite's helper threads fails (the store carries on without it). */
  onThreadError?: (thread: string, error: unknown) => void;
}

export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

/** Opens the database and brings its schema up to date. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const store = options.databaseUrl?.startsWith("postgres")
    ? openPostgres(options.databaseUrl, options.poolSize ?? 10)
    : openSqlite(options.dataDir, options.databaseUrl, options.onThreadError ?? (() => {}));
  try {
    await migrateToLatest(store.db as Kysely<unknown>, store.dialect);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

function openSqlite(dataDir: string, databaseUrl: string | null, onThreadError: (thread: string, error: unknown) => void): Store {
  const file = databaseUrl ? sqliteFileFromUrl(databaseUrl) : path.join(dataDir, "kickoff.db");
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  // WAL with synchronous=NORMAL: a killed process never loses a committed row; a power
  // cut may lose the last few commits (see README, "Durability").
  // Deliveries (~8 KB of JSON each) and log chunks (64 KB) overflow 4 KB pages; 16 KB
  // pages nearly halve the cost of storing one (measured in bench/). Only takes effect
  // when the database is created.
  sqlite.pragma("page_size = 16384");
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  const checkpointer = file === ":memory:" ? null : offloadCheckpoints(sqlite, file, (error) => onThreadError("checkpoint", error));
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingDatabase(sqlite) }) });
  // An in-memory database has no file a second connection could open.
  const logWriter = file === ":memory:" ? null : new SqliteLogWriter(file, (error) => onThreadError("log writer", error));
  return {
    db,
    dialect: "sqlite",
    location: file,
    // Should the thread die, this connection takes over (slower, never lost).
    appendLog: (chunk) => (logWriter && !logWriter.failed ? logWriter.append(chunk) : appendLogChunk(db, chunk)),
    ready: () => readiness(db, "sqlite"),
    async close() {
      await logWriter?.stop();
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/** Checkpoints run on a thread of their own (sqlite-checkpointer.ts), not inside commits. */
function offloadCheckpoints(sqlite: SQLite.Database, file: string, onFailure: (error: unknown) => void): Checkpointer {
  // Once checkpointed, a WAL that grew under a burst is cut back to 64 MB.
  sqlite.pragma("journal_size_limit = 67108864");
  return startCheckpointer(file, onFailure);
}

function sqliteFileFromUrl(url: string): string {
  if (url === ":memory:") return url;
  if (url.startsWith("sqlite:")) return url.slice("sqlite:".length).replace(/^\/\//, "") || ":memory:";
  if (url.startsWith("file:")) return new URL(url).pathname;
  return url;
}

// PostgreSQL returns int8 as strings to stay exact; every bigint here is a millisecond
// time or a GitHub id, both far below 2^53.
pg.types.setTypeParser(20, (value) => Number(value));

function openPostgres(url: string, poolSize: number): Store {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: "postgres",
    location: describeDatabaseUrl(url),
    appendLog: (chunk) => appendLogChunk(db, chunk),
    ready: () => readiness(db, "postgres"),
    close: () => db.destroy(),
  };
}

async function readiness(db: Kysely<Database>, dialect: Dialect): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return await isMigrated(db as Kysely<unknown>, dialect);
  } catch {
    return false;
  }
}
