import pg from "pg";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/shared/clock.js";
import { openStore, type Store } from "../../src/store/database.js";
import { newDelivery, storeDelivery } from "../support/deliveries.js";
import { listenForWork, type WorkListener } from "../../src/store/notifier.js";
import { enqueueOutbox } from "../../src/store/outbox.js";
import { insertBuild } from "../../src/store/queue.js";
import { newBuild } from "../support/builds.js";
import { eventually } from "../support/e2e.js";
import { type FreshSchema, freshSchema, testDatabaseUrl } from "../support/postgres.js";

const log = pino({ level: "silent" });

/** A URL whose sessions can be told apart in pg_stat_activity. */
function named(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set("application_name", name);
  return u.toString();
}

describe.skipIf(!testDatabaseUrl)("LISTEN/NOTIFY wake-ups on PostgreSQL", () => {
  let schema: FreshSchema;
  let store: Store;
  let listener: WorkListener | null = null;
  let wakes = 0;
  const appName = `kickoff-notifier-test-${process.pid}`;

  beforeEach(async () => {
    schema = await freshSchema(testDatabaseUrl!);
    store = await openStore({ databaseUrl: schema.url, dataDir: "/tmp" });
    wakes = 0;
    listener = listenForWork({ url: named(schema.url, appName), wake: () => (wakes += 1), log, retryMs: 50 });
    await listener.ready;
  });
  afterEach(async () => {
    await listener?.close();
    await store.close();
    await schema.drop();
  });

  /** Waits for the next wake caused by `act`, beyond the ones already counted. */
  async function wokenBy(act: () => Promise<unknown>, what: string): Promise<void> {
    const before = wakes;
    await act();
    await eventually(async () => wakes > before, `${what} did not wake the listener`);
  }

  it("wakes when another connection commits a delivery, a build or an outbox row", async () => {
    // The listener wakes once on connecting, for anything committed before it listened.
    await eventually(async () => wakes >= 1, "no wake after connecting");
    await wokenBy(() => storeDelivery(store.db, newDelivery({ id: "d1", sender: null })), "a delivery");
    await wokenBy(() => insertBuild(store.db, newBuild()), "a build");
    await wokenBy(
      () => enqueueOutbox(store.db, systemClock, { key: "k", kind: "check_run", installationId: 1, repository: "acme/shop", buildId: null, payload: {} }),
      "an outbox row",
    );
  });

  it("wakes when a build goes back to the queue (requeued, released, approved)", async () => {
    const build = await insertBuild(store.db, newBuild({ status: "waiting" }));
    await wokenBy(() => store.db.updateTable("builds").set({ status: "queued" }).where("id", "=", build!.id).execute(), "a build put back in the queue");
  });

  it("notifies only when the transaction commits", async () => {
    const before = wakes;
    await store.db
      .transaction()
      .execute(async (trx) => {
        await insertBuild(trx, newBuild());
        throw new Error("roll back");
      })
      .catch(() => undefined);
    // Commit a second change: notifications arrive in commit order, so once its wake is
    // in, the rolled-back one would have been too.
    await wokenBy(() => insertBuild(store.db, newBuild()), "a committed build");
    expect(wakes).toBe(before + 1);
  });

  it("ignores another schema's work (another Kickoff sharing the database)", async () => {
    const neighbour = await freshSchema(testDatabaseUrl!);
    const other = await openStore({ databaseUrl: neighbour.url, dataDir: "/tmp" });
    try {
      const before = wakes;
      await insertBuild(other.db, newBuild());
      await wokenBy(() => insertBuild(store.db, newBuild()), "our own build");
      expect(wakes).toBe(before + 1);
    } finally {
      await other.close();
      await neighbour.drop();
    }
  });

  it("reconnects when its connection is dropped, and wakes once for what it may have missed", async () => {
    const backend = async (): Promise<number | undefined> => {
      const c = new pg.Client({ connectionString: testDatabaseUrl! });
      await c.connect();
      try {
        const { rows } = await c.query<{ pid: number }>("select pid from pg_stat_activity where application_name = $1 and query ilike 'listen %'", [appName]);
        return rows[0]?.pid;
      } finally {
        await c.end();
      }
    };
    const first = await eventually(backend, "the listener's session is not in pg_stat_activity");
    const before = wakes;
    await schema.query(`select pg_terminate_backend(${first})`);
    const second = await eventually(async () => {
      const pid = await backend();
      return pid !== undefined && pid !== first ? pid : undefined;
    }, "the listener did not reconnect");
    expect(second).not.toBe(first);
    await eventually(async () => wakes > before, "no wake after reconnecting");
    await wokenBy(() => insertBuild(store.db, newBuild()), "a build after the reconnect");
  });
});
