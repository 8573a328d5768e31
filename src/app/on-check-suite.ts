import type { Context } from "probot";
import { latestBuilds, rerunBuilds } from "../planner/control.js";
import type { PlannerDeps } from "../planner/planner-deps.js";

/** "Re-run all checks": every pipeline Kickoff ran for the suite's commit, run again together. */
export async function onCheckSuite(context: Context<"check_suite">, deps: PlannerDeps): Promise<string> {
  const p = context.payload;
  if (p.action !== "rerequested") return `ignored: check_suite.${p.action}`;
  const builds = (await latestBuilds(deps, p.repository.id, p.check_suite.head_sha)).filter((b) => b.pipeline !== "kickoff" && b.conclusion !== "action_required");
  if (builds.length === 0) return "ignored: no Kickoff builds for this commit";
  const created = await rerunBuilds(deps, builds, p.sender.login, context.id);
  return `re-run all: ${created.map((b) => `#${b.id} ${b.pipeline}`).join(", ")}`;
}
