import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { openStore, type Store } from "../../src/store/database.js";
import { freshSchema, testDatabaseUrl } from "./postgres.js";

export interface StoreKind {
  name: "sqlite" | "postgres";
  open(): Promise<Store & { cleanup(): Promise<void> }>;
}

/**
 * The dialects a store contract test runs on: SQLite always, PostgreSQL when
 * TEST_DATABASE_URL is set. Each open() gets an empty database of its own (a fresh
 * SQLite file, or a fresh PostgreSQL schema), so test files can run in parallel.
 */
export function storeKinds(): StoreKind[] {
  const kinds: StoreKind[] = [
    {
      name: "sqlite",
      async open() {
        const dir = mkdtempSync(path.join(os.tmpdir(), "kickoff-store-"));
        const store = await openStore({ databaseUrl: null, dataDir: dir });
        return Object.assign(store, {
          async cleanup() {
            await store.close();
            rmSync(dir, { recursive: true, force: true });
          },
        });
      },
    },
  ];
  const url = testDatabaseUrl;
  if (url) {
    kinds.push({
      name: "postgres",
      async open() {
        const schema = await freshSchema(url);
        const store = await openStore({ databaseUrl: schema.url, dataDir: os.tmpdir() });
        return Object.assign(store, {
          async cleanup() {
            await store.close();
            await schema.drop();
          },
        });
      },
    });
  }
  return kinds;
}
