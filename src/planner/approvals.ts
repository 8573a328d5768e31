import { approvalGateKey } from "./gate.js";
import type { PlannerDeps } from "./planner-deps.js";
import { latestBuilds, rerunBuilds } from "./control.js";
import type { Build } from "../store/schema.js";

export async function isApproved(deps: PlannerDeps, repositoryId: number, sha: string): Promise<boolean> {
  const row = await deps.store.db.selectFrom("approvals").select("sha").where("repository_id", "=", repositoryId).where("sha", "=", sha).executeTakeFirst();
  return row !== undefined;
}

/**
 * Approves one exact commit of a fork and starts the pipelines that waited for it, each
 * with a new check run. Approving twice starts nothing twice: the started builds carry a
 * dedupe key. A later push is a new commit and needs its own approval.
 */
export async function approveCommit(deps: PlannerDeps, repositoryId: number, sha: string, approvedBy: string, deliveryId: string | null): Promise<Build[]> {
  await deps.store.db
    .insertInto("approvals")
    .values({ repository_id: repositoryId, sha, approved_by: approvedBy, approved_at: deps.clock.now() })
    .onConflict((oc) => oc.columns(["repository_id", "sha"]).doNothing())
    .execute();
  const waiting = (await latestBuilds(deps, repositoryId, sha)).filter((b) => b.status === "done" && b.conclusion === "action_required");
  return rerunBuilds(deps, waiting, approvedBy, deliveryId, approvalGateKey);
}
