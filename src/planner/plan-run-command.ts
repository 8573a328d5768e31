import type { Pipeline } from "../config/kickoff-config.js";
import { matchPipelines } from "../config/match-triggers.js";
import { parseKickoffConfig } from "../config/parse-kickoff-config.js";
import type { InstallationOctokit } from "../github/github-app.js";
import { latestBuilds } from "./control.js";
import type { CommitTarget } from "./commit-target.js";
import type { Trust } from "./gate.js";
import { storeBuilds, withNeeds } from "./plan-commit.js";
import type { PlannerDeps } from "./planner-deps.js";
import { readConfigAt } from "./read-config.js";

export type RunCommandResult = { ok: true; outcome: string } | { ok: false; reply: string };

/**
 * `/kickoff run [pipeline]` on a pull request's head commit: without a name, every
 * pipeline a pull request starts; with one, that pipeline whatever its triggers, plus
 * the `needs` that have not succeeded for the commit. Always new builds.
 */
export async function planRunCommand(
  deps: PlannerDeps,
  octokit: InstallationOctokit,
  target: CommitTarget,
  baseBranch: string,
  pipeline: string | null,
  changedFiles: () => Promise<string[] | null>,
  trust: Trust,
): Promise<RunCommandResult> {
  const file = await readConfigAt(octokit, target.repository.owner, target.repository.name, target.sha);
  if (!file.found) return { ok: false, reply: "This commit has no `.github/kickoff.yml`, so there is nothing to run." };
  const parsed = parseKickoffConfig(file.text);
  if (!parsed.ok) return { ok: false, reply: "This commit's `.github/kickoff.yml` is invalid; see the `kickoff` check run." };
  const config = parsed.config;

  let chosen: Pipeline[];
  if (pipeline === null) {
    chosen = matchPipelines(config, { event: "pull_request", action: "synchronize", baseBranch, changedFiles: await changedFiles() });
    if (chosen.length === 0) return { ok: false, reply: "No pipeline runs for this pull request." };
  } else {
    const named = config.pipelines.find((p) => p.name === pipeline);
    if (!named) return { ok: false, reply: `There is no pipeline \`${pipeline.replace(/`/g, "")}\`. Pipelines: ${config.pipelines.map((p) => `\`${p.name}\``).join(", ")}.` };
    const succeeded = new Set((await latestBuilds(deps, target.repository.id, target.sha)).filter((b) => b.conclusion === "success").map((b) => b.pipeline));
    chosen = withMissingNeeds(config.pipelines, named, succeeded);
  }
  if (trust.fork) {
    const deploys = chosen.filter((p) => p.environment !== null);
    chosen = chosen.filter((p) => p.environment === null);
    if (chosen.length === 0) return { ok: false, reply: `Deploy pipelines never run from forks: ${deploys.map((p) => `\`${p.name}\``).join(", ")}.` };
  }
  return { ok: true, outcome: await storeBuilds(deps, target, withNeeds(config, chosen), trust, false) };
}

/** The pipeline and, transitively, each need that has not succeeded for the commit. */
function withMissingNeeds(all: Pipeline[], root: Pipeline, succeeded: Set<string>): Pipeline[] {
  const byName = new Map(all.map((p) => [p.name, p]));
  const chosen = new Map<string, Pipeline>();
  const visit = (p: Pipeline) => {
    if (chosen.has(p.name)) return;
    chosen.set(p.name, p);
    for (const need of p.needs) {
      const n = byName.get(need);
      if (n && !succeeded.has(need)) visit(n);
    }
  };
  visit(root);
  return [...chosen.values()];
}
