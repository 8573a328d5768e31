import type { Context } from "probot";
import { latestBuilds, rerunBuilds } from "../planner/control.js";
import type { PlannerDeps } from "../planner/planner-deps.js";
import { checkWritePermission } from "../github/permission.js";

/** "Re-run all checks": every pipeline Kickoff ran for the suite's commit, run again together. */
export async function onCheckSuite(context: Context<"check_suite">, deps: PlannerDeps): Promise<string> {
  const p = context.payload;
  if (p.action !== "rerequested") return `ignored: check_suite.${p.action}`;
  const builds = (await latestBuilds(deps, p.repository.id, p.check_suite.head_sha)).filter((b) => b.pipeline !== "kickoff" && b.conclusion !== "action_required");
  if (builds.length === 0) return "ignored: no Kickoff builds for this commit";
  if (builds.some((b) => b.fork === 1)) {
    // Fork code runs again only for someone who could have approved it.
    const permission = await checkWritePermission(context.octokit, p.repository.owner.login, p.repository.name, p.sender.login);
    if (!permission.allowed) return `refused re-run of fork builds: ${permission.reason}`;
  }
  const created = await rerunBuilds(deps, builds, p.sender.login, context.id);
  return `re-run all: ${created.map((b) => `#${b.id} ${b.pipeline}`).join(", ")}`;
}
