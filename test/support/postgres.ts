import pg from "pg";

/** The PostgreSQL the multi-process tests use, when CI (or you) set TEST_DATABASE_URL. */
export const testDatabaseUrl: string | null = process.env.TEST_DATABASE_URL || null;

export interface FreshSchema {
  /** TEST_DATABASE_URL with its search_path set to the new, empty schema. */
  url: string;
  schema: string;
  /** Runs one statement as the admin (outside the schema), e.g. to terminate sessions. */
  query(text: string): Promise<void>;
  drop(): Promise<void>;
}

/**
 * An empty schema of its own in the test database, so test files can run in parallel
 * against one PostgreSQL. Kickoff sees it as an empty database: the URL carries
 * `options=-c search_path=<schema>`, which every connection of the pool (and the
 * LISTEN connection) applies.
 */
export async function freshSchema(baseUrl: string): Promise<FreshSchema> {
  const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const query = (text: string) => adminQuery(baseUrl, text);
  await query(`create schema ${schema}`);
  const scoped = new URL(baseUrl);
  scoped.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: scoped.toString(),
    schema,
    query,
    async drop() {
      await query(`drop schema ${schema} cascade`);
    },
  };
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
