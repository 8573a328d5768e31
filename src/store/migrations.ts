import { type Kysely, type Migration, type MigrationProvider, Migrator } from "kysely";
import type { Dialect } from "./database.js";
import { initial } from "./migrations/0001-initial.js";

/**
 * One schema for both dialects; the only differences are how a table gets an
 * auto-increment key and what a byte column is called. Add a migration as a new file in
 * migrations/ and list it here; never edit one that has shipped.
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    "0001_initial": initial(dialect),
  };
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

/** Kysely's migrator holds a lock table, so several processes may start at once. */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({ db, provider: new StaticProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error");
    throw new Error(`database migration ${failed?.migrationName ?? ""} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function isMigrated(db: Kysely<unknown>, dialect: Dialect): Promise<boolean> {
  const migrator = new Migrator({ db, provider: new StaticProvider(dialect) });
  const all = await migrator.getMigrations();
  return all.every((m) => m.executedAt !== undefined);
}
