import type { Kysely, Migration } from "kysely";

/**
 * The builds of one commit are looked up by repository id and sha (a finished build's
 * waiting dependents, the needs already passed, re-runs of a commit); the index on the
 * repository's name and sha served none of those, so each lookup read every build of the
 * repository, and a finished build cost more the longer the history kept.
 */
export function commitIndex(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex("builds_commit_by_id").on("builds").columns(["repository_id", "sha"]).execute();
      await db.schema.dropIndex("builds_commit").execute();
    },
  };
}
