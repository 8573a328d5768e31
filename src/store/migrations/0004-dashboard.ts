import type { Kysely, Migration } from "kysely";
import type { Dialect } from "../database.js";

/**
 * What the dashboard, the audit log, retention and metrics read: indexes for their
 * queries, and a small table of rejected webhook requests (no payload: a flood of bad
 * requests must cost next to nothing to record).
 */
export function dashboard(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("rejected_requests")
        .addColumn("id", "integer", (c) => (dialect === "postgres" ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()))
        .addColumn("received_at", "bigint", (c) => c.notNull())
        .addColumn("event", "text")
        .addColumn("delivery", "text")
        .addColumn("status", "integer", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("remote_address", "text")
        .execute();
      await db.schema.createIndex("rejected_requests_received").on("rejected_requests").column("received_at").execute();
      // The build list filtered by repository, newest first (keyset on id).
      await db.schema.createIndex("builds_repository_list").on("builds").columns(["repository", "id"]).execute();
      // Retention and the finished-builds metrics scan by time.
      await db.schema.createIndex("builds_finished").on("builds").column("finished_at").execute();
      await db.schema.createIndex("builds_started").on("builds").column("started_at").execute();
      // The audit log links each delivery to the builds it created.
      await db.schema.createIndex("builds_trigger").on("builds").column("trigger_delivery").execute();
    },
  };
}
