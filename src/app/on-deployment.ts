import type { Context } from "probot";
import { parseKickoffConfig } from "../config/parse-kickoff-config.js";
import { targetRepository } from "../planner/commit-target.js";
import { SAME_REPOSITORY } from "../planner/gate.js";
import { storeBuilds } from "../planner/plan-commit.js";
import type { PlannerDeps } from "../planner/planner-deps.js";
import { readConfigAt } from "../planner/read-config.js";

/**
 * A deployment created outside Kickoff (a release tool, the API): run the pipeline whose
 * `environment` matches, for the deployment's commit, and report on that deployment.
 * Deployments Kickoff made itself carry their build in the payload and are ignored.
 */
export async function onDeployment(context: Context<"deployment">, deps: PlannerDeps): Promise<string> {
  const p = context.payload;
  if (p.action !== "created") return `ignored: deployment.${p.action}`;
  const installationId = (p as { installation?: { id: number } }).installation?.id;
  if (installationId === undefined) return "ignored: no installation in payload";
  const deployment = p.deployment;
  const payload: unknown = deployment.payload;
  if (typeof payload === "object" && payload !== null && "kickoff_build" in payload) return "ignored: a deployment Kickoff created";

  const repository = targetRepository(p.repository as Parameters<typeof targetRepository>[0]);
  const file = await readConfigAt(context.octokit, repository.owner, repository.name, deployment.sha);
  if (!file.found) return "no config";
  const parsed = parseKickoffConfig(file.text);
  if (!parsed.ok) return "invalid config: nothing deployed";
  const pipelines = parsed.config.pipelines.filter((x) => x.environment === deployment.environment && x.deployment);
  if (pipelines.length === 0) return `ignored: no pipeline deploys to ${deployment.environment}`;

  // The deployment's ref is a branch, a tag or a sha; only a branch or tag can be allowed.
  const isSha = /^[0-9a-f]{40}$/.test(deployment.ref);
  const tagRef = deployment.ref.startsWith("refs/tags/") ? deployment.ref : null;
  const branch = isSha || tagRef ? null : deployment.ref.replace(/^refs\/heads\//, "");
  return storeBuilds(
    deps,
    {
      repository,
      installationId,
      sha: deployment.sha,
      ref: tagRef ?? (branch !== null ? `refs/heads/${branch}` : null),
      branch,
      event: "deployment",
      prNumber: null,
      sender: p.sender.login,
      deliveryId: context.id,
      deploymentId: deployment.id,
    },
    // Only the first pipeline for the environment: one deployment, one run.
    pipelines.slice(0, 1).map((x) => ({ ...x, needs: [] })),
    SAME_REPOSITORY,
    false,
  );
}
