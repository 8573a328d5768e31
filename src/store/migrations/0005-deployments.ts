import { type Kysely, type Migration, sql } from "kysely";

/** Deploy builds: their environment and GitHub deployment, at most one running per environment. */
export function deployments(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("builds").addColumn("environment", "text").execute();
      await db.schema.alterTable("builds").addColumn("deployment_id", "bigint").execute();
      // The claim query skips deploys whose environment is busy; this index makes the rule
      // hold even when two workers on two machines claim at the same instant.
      await sql`create unique index builds_one_running_deploy on builds (repository_id, environment) where status = 'running' and environment is not null`.execute(db);
      await db.schema.createIndex("builds_environment_queue").on("builds").columns(["repository_id", "environment", "status"]).execute();
    },
  };
}
