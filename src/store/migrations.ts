import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";
import type { Dialect } from "./database.js";
import { initial } from "./migrations/0001-initial.js";
import { controlAndTrust } from "./migrations/0002-control-and-trust.js";
import { deployments } from "./migrations/0005-deployments.js";
import { notifyWork } from "./migrations/0003-notify-work.js";
import { dashboard } from "./migrations/0004-dashboard.js";
import { commitIndex } from "./migrations/0006-commit-index.js";

/**
 * One schema for both dialects; the only differences are how a table gets an
 * auto-increment key and what a byte column is called. Add a migration as a new file in
 * migrations/ and list it here; never edit one that has shipped.
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    "0001_initial": initial(dialect),
    "0002_control_and_trust": controlAndTrust(),
    "0005_deployments": deployments(),
    "0003_notify_work": notifyWork(dialect),
    "0004_dashboard": dashboard(dialect),
    "0006_commit_index": commitIndex(),
  };
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

/**
 * Kysely looks for its bookkeeping tables in every schema of a PostgreSQL database: a
 * second Kickoff (or any Kysely app) in another schema would make it skip creating them
 * in ours and then fail. Naming the schema the connection works in keeps it to ours.
 */
async function migratorFor(db: Kysely<unknown>, dialect: Dialect): Promise<Migrator> {
  const provider = new StaticProvider(dialect);
  if (dialect !== "postgres") return new Migrator({ db, provider });
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error("the PostgreSQL search_path names no schema that exists (create it, or fix DATABASE_URL)");
  return new Migrator({ db, provider, migrationTableSchema: schema });
}

/**
 * On PostgreSQL several processes may start at once on an empty database: Kysely
 * tolerates losing the race to create its own tables, then runs the migrations in one
 * transaction under an advisory lock, so each process applies only what is missing
 * (test/e2e/postgres-machines.test.ts starts four at once).
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const migrator = await migratorFor(db, dialect);
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error");
    throw new Error(`database migration ${failed?.migrationName ?? ""} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function isMigrated(db: Kysely<unknown>, dialect: Dialect): Promise<boolean> {
  const migrator = await migratorFor(db, dialect);
  const all = await migrator.getMigrations();
  return all.every((m) => m.executedAt !== undefined);
}
