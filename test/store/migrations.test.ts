import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CompiledQuery } from "kysely";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/database.js";
import { freshSchema, testDatabaseUrl } from "../support/postgres.js";

async function appliedMigrations(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>("select name from kysely_migration order by name");
    return rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

describe.skipIf(!testDatabaseUrl)("migrations on PostgreSQL", () => {
  it("are safe when several processes start at once on an empty database", async () => {
    const schema = await freshSchema(testDatabaseUrl!);
    try {
      // Separate pools, as separate processes would have.
      const stores = await Promise.all(Array.from({ length: 6 }, () => openStore({ databaseUrl: schema.url, dataDir: "/tmp", poolSize: 2 })));
      try {
        for (const store of stores) expect(await store.ready()).toBe(true);
        const applied = await appliedMigrations(schema.url);
        expect(applied.length).toBeGreaterThan(0);
        expect(new Set(applied).size).toBe(applied.length);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    } finally {
      await schema.drop();
    }
  });

  it("keep to their own schema when another schema of the database is migrated already", async () => {
    const first = await freshSchema(testDatabaseUrl!);
    const second = await freshSchema(testDatabaseUrl!);
    try {
      const a = await openStore({ databaseUrl: first.url, dataDir: "/tmp", poolSize: 2 });
      const b = await openStore({ databaseUrl: second.url, dataDir: "/tmp", poolSize: 2 });
      expect(await b.ready()).toBe(true);
      expect(await appliedMigrations(second.url)).toEqual(await appliedMigrations(first.url));
      await Promise.all([a.close(), b.close()]);
    } finally {
      await Promise.all([first.drop(), second.drop()]);
    }
  });

  it("say clearly when the search_path names no schema that exists", async () => {
    const url = new URL(testDatabaseUrl!);
    url.searchParams.set("options", "-c search_path=no_such_schema_for_kickoff");
    await expect(openStore({ databaseUrl: url.toString(), dataDir: "/tmp", poolSize: 1 })).rejects.toThrow(/search_path names no schema/);
  });
});

describe("migrations on SQLite", () => {
  it("index the builds of a commit by repository id and sha, as the planner looks them up", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "kickoff-migrations-"));
    const store = await openStore({ databaseUrl: null, dataDir });
    try {
      const waiting = store.db
        .selectFrom("builds")
        .selectAll()
        .where("repository_id", "=", 1)
        .where("sha", "=", "a".repeat(40))
        .where("status", "=", "waiting")
        .orderBy("id")
        .compile();
      const plan = await explain(store, waiting.sql, waiting.parameters);
      expect(plan.map((r) => r.detail).join("\n")).toMatch(/USING INDEX builds_commit_by_id/);
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

async function explain(store: Store, text: string, parameters: readonly unknown[]): Promise<Array<{ detail: string }>> {
  const result = await store.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${text}`, [...parameters]));
  return result.rows;
}
