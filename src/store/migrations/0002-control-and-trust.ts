import type { Kysely, Migration } from "kysely";

/** Fork approvals, and which builds run code from a fork. */
export function controlAndTrust(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable("builds")
        .addColumn("fork", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex("builds_pr").on("builds").columns(["repository_id", "pr_number", "status"]).execute();
      await db.schema.createIndex("builds_branch").on("builds").columns(["repository_id", "ref", "status"]).execute();
      await db.schema
        .createTable("approvals")
        .addColumn("repository_id", "bigint", (c) => c.notNull())
        .addColumn("sha", "text", (c) => c.notNull())
        .addColumn("approved_by", "text", (c) => c.notNull())
        .addColumn("approved_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("approvals_pk", ["repository_id", "sha"])
        .execute();
    },
  };
}
