import type { Database as BetterSqlite } from "better-sqlite3";
import type { SqliteDatabase, SqliteStatement } from "kysely";

const MAX_STATEMENTS = 500;
/** Multi-row inserts (the inbox's group commits) differ by row count; caching them only churns. */
const MAX_CACHED_SQL_LENGTH = 2000;

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs as much as running a
 * small statement, and Kickoff runs the same few hundred statements over and over (a
 * build's log chunks, heartbeats, claims). Prepared statements are kept, least recently
 * used first out. Safe because the driver runs one statement at a time on the one
 * connection and always reads a statement's result to the end.
 */
export function cachingDatabase(db: BetterSqlite): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      if (sql.length > MAX_CACHED_SQL_LENGTH) return db.prepare(sql) as unknown as SqliteStatement;
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql);
      } else {
        statement = db.prepare(sql) as unknown as SqliteStatement;
        if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}
