// A pipeline whose triggers can never fire is almost always a mistake (e.g. `branches: []`),
// but not an invalid file: `/kickoff run <name>` can still start it, so it is a warning.

import type { ConfigProblem, Pipeline, PullRequestTrigger, PushTrigger } from "./kickoff-config.js";
import { configWarning } from "./problem.js";
import type { Locator } from "./yaml-locator.js";

function pushCanFire(push: PushTrigger | null): boolean {
  if (push === null) return false;
  const anyBranch = push.branches === null || push.branches.length > 0;
  return anyBranch || push.tags.length > 0;
}

function pullRequestCanFire(pr: PullRequestTrigger | null): boolean {
  if (pr === null) return false;
  return (pr.branches === null || pr.branches.length > 0) && pr.types.length > 0;
}

export function unreachablePipelineWarnings(pipelines: readonly Pipeline[], locator: Locator): ConfigProblem[] {
  return pipelines
    .filter((p) => !p.deployment && !pushCanFire(p.push) && !pullRequestCanFire(p.pullRequest))
    .map((p) =>
      configWarning(`pipeline \`${p.name}\`: no push, pull request or deployment can start it (only \`/kickoff run ${p.name}\` can)`, locator.key(["pipelines", p.name])),
    );
}
