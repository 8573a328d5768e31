import { type Kysely, type Migration, sql } from "kysely";
import type { Dialect } from "../database.js";
import { WORK_CHANNEL } from "../notifier.js";

/**
 * PostgreSQL only: tell every listening process (src/store/notifier.ts) when there may be
 * new work, so a worker on another machine starts a build in milliseconds instead of at
 * its next poll. Triggers rather than calls in the code, so that every path that makes
 * work (new deliveries, builds and outbox rows; builds put back in the queue by the
 * reaper, by released `needs`, by approvals) notifies, including paths added later.
 *
 * NOTIFY is transactional: listeners hear it only when the row is committed, and the
 * payload names the schema so that several Kickoffs sharing one database (one schema
 * each) do not wake one another. SQLite serves one process, woken in-process.
 */
export function notifyWork(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect !== "postgres") return;
      await sql`
        create function kickoff_notify_work() returns trigger language plpgsql as $$
        begin
          perform pg_notify(${sql.lit(WORK_CHANNEL)}, tg_table_schema);
          return null;
        end
        $$`.execute(db);
      // One notification per statement: a batch insert wakes listeners once.
      for (const table of ["deliveries", "builds", "outbox"]) {
        await sql`create trigger ${sql.id(`${table}_notify_work`)} after insert on ${sql.table(table)} for each statement execute function kickoff_notify_work()`.execute(db);
      }
      await sql`
        create trigger builds_requeued_notify_work after update of status on builds
        for each row when (new.status = 'queued' and old.status <> 'queued')
        execute function kickoff_notify_work()`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      if (dialect !== "postgres") return;
      await sql`drop function kickoff_notify_work() cascade`.execute(db);
    },
  };
}
