import type { Context } from "probot";
import { checkWritePermission } from "../github/permission.js";
import { reportComment } from "../github/report.js";
import { approveCommit } from "../planner/approvals.js";
import { requestCancel, rerunBuilds } from "../planner/control.js";
import type { PlannerDeps } from "../planner/planner-deps.js";
import { getBuild } from "../store/queue.js";
import type { Build } from "../store/schema.js";

/**
 * "Re-run" (rerequested) and the Cancel / Approve and run buttons (requested_action) on
 * Kickoff's own check runs. The build is found by the check run's `external_id`, and must
 * belong to the repository the event came from.
 */
export async function onCheckRun(context: Context<"check_run">, deps: PlannerDeps): Promise<string> {
  const p = context.payload;
  const build = await ownBuild(deps, p.check_run.external_id, p.repository.id);
  if (!build) return "ignored: not a Kickoff build of this repository";
  const sender = p.sender.login;
  const [owner, repo] = [p.repository.owner.login, p.repository.name];

  if (p.action === "rerequested") {
    if (build.conclusion === "action_required") return "ignored: waiting for approval; approve it instead";
    if (build.pipeline === "kickoff") return "ignored: an invalid config cannot be re-run; push a fix";
    if (build.fork === 1) {
      const permission = await checkWritePermission(context.octokit, owner, repo, sender);
      if (!permission.allowed) return `refused re-run of fork build: ${permission.reason}`;
    }
    const [fresh] = await rerunBuilds(deps, [build], sender, context.id);
    return fresh ? `re-run: build #${fresh.id} ${fresh.pipeline}` : "re-run: nothing created";
  }

  if (p.action === "requested_action") {
    const identifier = (p as { requested_action?: { identifier?: string } }).requested_action?.identifier;
    const permission = await checkWritePermission(context.octokit, owner, repo, sender);
    if (!permission.allowed) {
      if (build.pr_number !== null)
        await reportComment(deps.store.db, deps.clock, build.installation_id, build.repository, build.pr_number, `Nothing happened: ${permission.reason}.`);
      deps.wake();
      return `refused ${identifier ?? "action"}: ${permission.reason}`;
    }
    if (identifier === "cancel") return `cancel: ${await requestCancel(deps, build, `Cancelled by @${sender}`)}`;
    if (identifier === "approve") {
      const started = await approveCommit(deps, build.repository_id, build.sha, sender, context.id);
      return `approved ${build.sha.slice(0, 7)} by @${sender}: ${started.length} build(s) started`;
    }
    return `ignored: unknown action ${identifier ?? "(none)"}`;
  }
  return `ignored: check_run.${p.action}`;
}

async function ownBuild(deps: PlannerDeps, externalId: string | null, repositoryId: number): Promise<Build | undefined> {
  if (!externalId || !/^\d{1,15}$/.test(externalId)) return undefined;
  const build = await getBuild(deps.store.db, Number(externalId));
  return build && build.repository_id === repositoryId ? build : undefined;
}
