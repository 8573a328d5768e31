import type { Transaction } from "kysely";
import { completedRequests } from "../github/check-run-request.js";
import { reportCheckRun } from "../github/report.js";
import type { Clock } from "../shared/clock.js";
import type { Build, Database } from "../store/schema.js";
import type { Links } from "../web/links.js";
import { readBuildConfig } from "./build-config.js";

/**
 * After a build finished, wakes the builds of the same commit that were waiting on it:
 * queued once all their `needs` succeeded, `skipped` (straight from queued to completed,
 * never in progress) as soon as one did not. Runs in the transaction that finished the
 * build, so a dependent can never miss its release.
 */
export async function releaseDependents(trx: Transaction<Database>, clock: Clock, links: Links, finished: Build): Promise<void> {
  const waiting = await trx
    .selectFrom("builds")
    .selectAll()
    .where("repository_id", "=", finished.repository_id)
    .where("sha", "=", finished.sha)
    .where("status", "=", "waiting")
    .orderBy("id")
    .execute();
  for (const build of waiting) {
    if (readBuildConfig(build.config).needs.includes(finished.pipeline)) await settleWaiting(trx, clock, links, build);
  }
}

/**
 * Decides a waiting build from the latest builds of its `needs` for the commit. Also run
 * right after a waiting build is stored, since its needs may have finished already (a
 * push built them before the pull request event for the same commit arrived).
 */
export async function settleWaiting(trx: Transaction<Database>, clock: Clock, links: Links, build: Build): Promise<void> {
  const needs = readBuildConfig(build.config).needs;
  const latest = await latestPerPipeline(trx, build, needs);
  const failed = needs.find((n) => latest.get(n)?.status === "done" && latest.get(n)?.conclusion !== "success");
  if (failed !== undefined) {
    const conclusion = latest.get(failed)?.conclusion ?? "failure";
    const skipped = await trx
      .updateTable("builds")
      .set({
        status: "done",
        conclusion: "skipped",
        title: `Skipped: ${failed} ${conclusion === "cancelled" ? "was cancelled" : `ended ${conclusion.replace("_", " ")}`}`,
        finished_at: clock.now(),
      })
      .where("id", "=", build.id)
      .where("status", "=", "waiting")
      .returningAll()
      .executeTakeFirst();
    if (skipped) {
      await reportCheckRun(trx, clock, skipped, completedRequests(skipped, links.buildUrl(skipped.id), { logTail: "", annotations: [], droppedAnnotations: 0, runSummary: null }));
      // A skip is itself a non-success, so whatever waits on this build is released too.
      await releaseDependents(trx, clock, links, skipped);
    }
  } else if (needs.every((n) => latest.get(n)?.conclusion === "success")) {
    await trx.updateTable("builds").set({ status: "queued", queued_at: clock.now() }).where("id", "=", build.id).where("status", "=", "waiting").execute();
  }
}

async function latestPerPipeline(trx: Transaction<Database>, build: Build, names: string[]): Promise<Map<string, Build>> {
  const rows = await trx
    .selectFrom("builds")
    .selectAll()
    .where("repository_id", "=", build.repository_id)
    .where("sha", "=", build.sha)
    .where("pipeline", "in", names)
    .orderBy("id")
    .execute();
  return new Map(rows.map((r) => [r.pipeline, r]));
}
