import type { Transaction } from "kysely";
import type { Clock } from "../shared/clock.js";
import type { Build, Database } from "../store/schema.js";
import type { Links } from "../web/links.js";
import { readBuildConfig } from "./build-config.js";
import { cancelInTransaction } from "./control.js";

/**
 * A new commit on a branch or pull request makes that pipeline's unfinished builds for
 * older commits of the same branch or pull request pointless: they are cancelled
 * (`Superseded by <sha7>`). A running deploy is never interrupted this way. Returns the
 * running builds that were asked to stop, so their workers can be told at once.
 */
export async function supersedeOlder(trx: Transaction<Database>, clock: Clock, links: Links, newer: Build, sameBranch = true): Promise<number[]> {
  const older = [...(sameBranch ? await olderOfBranch(trx, newer) : []), ...(newer.environment !== null ? await queuedDeploys(trx, newer) : [])];
  const asked: number[] = [];
  const seen = new Set<number>();
  for (const build of older) {
    if (seen.has(build.id)) continue;
    seen.add(build.id);
    if (build.status === "running" && readBuildConfig(build.config).environment !== null) continue;
    const result = await cancelInTransaction(trx, clock, links, build, `Superseded by ${newer.sha.slice(0, 7)}`, newer.sha);
    if (result === "requested") asked.push(build.id);
  }
  return asked;
}

/** Unfinished builds of the pipeline for older commits of the same branch or pull request. */
function olderOfBranch(trx: Transaction<Database>, newer: Build): Promise<Build[]> {
  let q = trx
    .selectFrom("builds")
    .selectAll()
    .where("repository_id", "=", newer.repository_id)
    .where("pipeline", "=", newer.pipeline)
    .where("sha", "!=", newer.sha)
    .where("id", "<", newer.id)
    .where("status", "in", ["queued", "waiting", "running"]);
  q = newer.pr_number !== null ? q.where("pr_number", "=", newer.pr_number) : q.where("pr_number", "is", null).where("ref", "=", newer.ref);
  return q.orderBy("id").execute();
}

/** A newer deploy to an environment makes older deploys still waiting there pointless, from any branch. */
function queuedDeploys(trx: Transaction<Database>, newer: Build): Promise<Build[]> {
  return trx
    .selectFrom("builds")
    .selectAll()
    .where("repository_id", "=", newer.repository_id)
    .where("environment", "=", newer.environment)
    .where("sha", "!=", newer.sha)
    .where("id", "<", newer.id)
    .where("status", "in", ["queued", "waiting"])
    .orderBy("id")
    .execute();
}
