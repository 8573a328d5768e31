import { type Kysely, type Migration, sql } from "kysely";
import type { Dialect } from "../database.js";

export function initial(dialect: Dialect): Migration {
  const bytes = dialect === "postgres" ? sql`bytea` : sql`blob`;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("deliveries")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("action", "text")
        .addColumn("installation_id", "bigint")
        .addColumn("repository", "text")
        .addColumn("sender", "text")
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("received_at", "bigint", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
        .addColumn("locked_by", "text")
        .addColumn("locked_until", "bigint")
        .addColumn("processed_at", "bigint")
        .addColumn("outcome", "text")
        .addColumn("error", "text")
        .execute();
      await db.schema.createIndex("deliveries_pending").on("deliveries").columns(["status", "next_attempt_at"]).execute();
      await db.schema.createIndex("deliveries_received").on("deliveries").column("received_at").execute();

      await db.schema
        .createTable("builds")
        .addColumn("id", "integer", (c) => (dialect === "postgres" ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()))
        .addColumn("repository", "text", (c) => c.notNull())
        .addColumn("repository_id", "bigint", (c) => c.notNull())
        .addColumn("installation_id", "bigint", (c) => c.notNull())
        .addColumn("private", "integer", (c) => c.notNull())
        .addColumn("clone_url", "text", (c) => c.notNull())
        .addColumn("html_url", "text", (c) => c.notNull())
        .addColumn("pipeline", "text", (c) => c.notNull())
        .addColumn("sha", "text", (c) => c.notNull())
        .addColumn("ref", "text")
        .addColumn("branch", "text")
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("pr_number", "integer")
        .addColumn("trigger_delivery", "text")
        .addColumn("sender", "text")
        .addColumn("dedupe_key", "text", (c) => c.unique())
        .addColumn("config", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("conclusion", "text")
        .addColumn("exit_code", "integer")
        .addColumn("title", "text")
        .addColumn("summary", "text")
        .addColumn("annotations", "text")
        .addColumn("attempt", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("queued_at", "bigint", (c) => c.notNull())
        .addColumn("started_at", "bigint")
        .addColumn("finished_at", "bigint")
        .addColumn("worker_id", "text")
        .addColumn("worker_host", "text")
        .addColumn("process_group", "integer")
        .addColumn("lease_expires_at", "bigint")
        .addColumn("cancel_requested", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("cancel_reason", "text")
        .addColumn("check_run_id", "bigint")
        .addColumn("superseded_by", "text")
        .execute();
      await db.schema.createIndex("builds_queue").on("builds").columns(["status", "queued_at", "id"]).execute();
      await db.schema.createIndex("builds_commit").on("builds").columns(["repository", "sha"]).execute();
      await db.schema.createIndex("builds_lease").on("builds").columns(["status", "lease_expires_at"]).execute();

      await db.schema
        .createTable("log_chunks")
        .addColumn("build_id", "integer", (c) => c.notNull().references("builds.id").onDelete("cascade"))
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("data", bytes, (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("log_chunks_pk", ["build_id", "seq"])
        .execute();

      await db.schema
        .createTable("outbox")
        .addColumn("id", "integer", (c) => (dialect === "postgres" ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()))
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("installation_id", "bigint", (c) => c.notNull())
        .addColumn("repository", "text", (c) => c.notNull())
        .addColumn("build_id", "integer")
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
        .addColumn("locked_by", "text")
        .addColumn("locked_until", "bigint")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("done_at", "bigint")
        .addColumn("failed", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("last_error", "text")
        .execute();
      await db.schema.createIndex("outbox_key_pending").on("outbox").columns(["key", "done_at", "id"]).execute();
      await db.schema.createIndex("outbox_pending").on("outbox").columns(["done_at", "next_attempt_at"]).execute();

      await db.schema
        .createTable("meta")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .execute();
    },
  };
}
