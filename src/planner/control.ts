import type { Transaction } from "kysely";
import { completedRequests, queuedRequest } from "../github/check-run-request.js";
import { reportCheckRun } from "../github/report.js";
import type { Clock } from "../shared/clock.js";
import { concludeUnclaimed, insertBuild } from "../store/queue.js";
import type { Build, Database, NewBuild } from "../store/schema.js";
import type { Links } from "../web/links.js";
import { type BuildConfig, readBuildConfig } from "./build-config.js";
import type { PlannerDeps } from "./planner-deps.js";
import { releaseDependents, settleWaiting } from "./release-dependents.js";

export type CancelResult = "cancelled" | "requested" | "already finished";

/**
 * Cancels a build. One that no worker holds ends at once (`cancelled`, with `reason` as
 * its title); a running one gets a stored request that its worker acts on: it kills the
 * process group and finishes the build itself, so only the holder of the claim writes it.
 */
export async function requestCancel(deps: PlannerDeps, build: Build, reason: string): Promise<CancelResult> {
  const result = await deps.store.db.transaction().execute((trx) => cancelInTransaction(trx, deps.clock, deps.links, build, reason, null));
  if (result === "requested") deps.notifyCancel(build.id);
  deps.wake();
  return result;
}

export async function cancelInTransaction(
  trx: Transaction<Database>,
  clock: Clock,
  links: Links,
  build: Build,
  reason: string,
  supersededBy: string | null,
): Promise<CancelResult> {
  if (build.status === "running") {
    const result = await trx
      .updateTable("builds")
      .set({ cancel_requested: 1, cancel_reason: reason, superseded_by: supersededBy })
      .where("id", "=", build.id)
      .where("status", "=", "running")
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0 ? "requested" : "already finished";
  }
  if (build.status !== "queued" && build.status !== "waiting") return "already finished";
  const done = await concludeUnclaimed(trx, clock, build, { conclusion: "cancelled", title: reason, exitCode: null, summary: null, annotations: null });
  if (!done) return "already finished";
  if (supersededBy !== null) await trx.updateTable("builds").set({ superseded_by: supersededBy }).where("id", "=", build.id).execute();
  await reportCheckRun(trx, clock, done, completedRequests(done, links.buildUrl(done.id), { logTail: "", annotations: [], droppedAnnotations: 0, runSummary: null }));
  await releaseDependents(trx, clock, links, done);
  return "cancelled";
}

/** A new build of the same pipeline and commit, with a new check run of the same name. */
export function repeatBuild(build: Build, o: { now: number; requestedBy: string | null; deliveryId: string | null; config: BuildConfig; dedupeKey: string | null }): NewBuild {
  return {
    repository: build.repository,
    repository_id: build.repository_id,
    installation_id: build.installation_id,
    private: build.private,
    clone_url: build.clone_url,
    html_url: build.html_url,
    pipeline: build.pipeline,
    sha: build.sha,
    ref: build.ref,
    branch: build.branch,
    event: build.event,
    pr_number: build.pr_number,
    trigger_delivery: o.deliveryId,
    sender: o.requestedBy,
    dedupe_key: o.dedupeKey,
    config: JSON.stringify(o.config),
    status: o.config.needs.length > 0 ? "waiting" : "queued",
    queued_at: o.now,
    fork: build.fork,
  };
}

/**
 * Runs builds again for their commit, each as a new build with a new check run. A set
 * re-run together keeps its `needs` among itself; a single re-run starts at once.
 */
export async function rerunBuilds(deps: PlannerDeps, builds: Build[], requestedBy: string | null, deliveryId: string | null, dedupeSuffix: string | null = null): Promise<Build[]> {
  const names = new Set(builds.map((b) => b.pipeline));
  const created: Build[] = [];
  await deps.store.db.transaction().execute(async (trx) => {
    for (const build of builds) {
      const old = readBuildConfig(build.config);
      const config = { ...old, needs: old.needs.filter((n) => names.has(n)) };
      const dedupeKey = dedupeSuffix === null ? null : `${build.repository_id}:${build.sha}:${build.pipeline}:${dedupeSuffix}`;
      const fresh = await insertBuild(trx, repeatBuild(build, { now: deps.clock.now(), requestedBy, deliveryId, config, dedupeKey }));
      if (!fresh) continue;
      created.push(fresh);
      await reportCheckRun(trx, deps.clock, fresh, [queuedRequest(fresh, deps.links.buildUrl(fresh.id))]);
    }
    for (const fresh of created) if (fresh.status === "waiting") await settleWaiting(trx, deps.clock, deps.links, fresh);
  });
  if (created.length > 0) deps.wake();
  return created;
}

/** The newest build of each pipeline for a commit (what GitHub shows). */
export async function latestBuilds(deps: PlannerDeps, repositoryId: number, sha: string): Promise<Build[]> {
  const rows = await deps.store.db.selectFrom("builds").selectAll().where("repository_id", "=", repositoryId).where("sha", "=", sha).orderBy("id").execute();
  const latest = new Map<string, Build>();
  for (const row of rows) latest.set(row.pipeline, row);
  return [...latest.values()];
}
