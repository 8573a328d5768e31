import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openStore, type Store } from "../../src/store/database.js";

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
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    kinds.push({
      name: "postgres",
      async open() {
        const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
        await adminQuery(url, `create schema ${schema}`);
        const scoped = new URL(url);
        scoped.searchParams.set("options", `-c search_path=${schema}`);
        const store = await openStore({ databaseUrl: scoped.toString(), dataDir: os.tmpdir() });
        return Object.assign(store, {
          async cleanup() {
            await store.close();
            await adminQuery(url, `drop schema ${schema} cascade`);
          },
        });
      },
    });
  }
  return kinds;
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
