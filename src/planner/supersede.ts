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
export async function supersedeOlder(trx: Transaction<Database>, clock: Clock, links: Links, newer: Build): Promise<number[]> {
  let q = trx
    .selectFrom("builds")
    .selectAll()
    .where("repository_id", "=", newer.repository_id)
    .where("pipeline", "=", newer.pipeline)
    .where("sha", "!=", newer.sha)
    .where("id", "<", newer.id)
    .where("status", "in", ["queued", "waiting", "running"]);
  q = newer.pr_number !== null ? q.where("pr_number", "=", newer.pr_number) : q.where("pr_number", "is", null).where("ref", "=", newer.ref);
  const older = await q.orderBy("id").execute();
  const asked: number[] = [];
  for (const build of older) {
    if (build.status === "running" && readBuildConfig(build.config).environment !== null) continue;
    const result = await cancelInTransaction(trx, clock, links, build, `Superseded by ${newer.sha.slice(0, 7)}`, newer.sha);
    if (result === "requested") asked.push(build.id);
  }
  return asked;
}
