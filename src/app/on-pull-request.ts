import type { Context } from "probot";
import { isSkipCi } from "../config/match-triggers.js";
import { pullRequestChangedFiles } from "../planner/changed-files.js";
import { targetRepository } from "../planner/commit-target.js";
import { planCommit } from "../planner/plan-commit.js";
import type { PlannerDeps } from "../planner/planner-deps.js";
import { checkWritePermission } from "../github/permission.js";
import { isApproved } from "../planner/approvals.js";
import { SAME_REPOSITORY, type Trust } from "../planner/gate.js";

/**
 * Opened, updated or reopened pull requests (or the types a pipeline asks for). Code from
 * a fork is never cloned or run before a writer approved its exact head commit, unless
 * its author can write to the repository and the pipeline trusts collaborators.
 */
export async function onPullRequest(context: Context<"pull_request">, deps: PlannerDeps): Promise<string> {
  const p = context.payload;
  const pr = p.pull_request;
  const installation = (p as { installation?: { id: number } }).installation;
  if (!installation) return "ignored: no installation in payload";
  const repository = targetRepository(p.repository as Parameters<typeof targetRepository>[0]);
  const { owner, name } = repository;
  // A deleted fork has no head repository; its code is a fork's all the same.
  const fork = !pr.head.repo || pr.head.repo.id !== pr.base.repo.id;
  const trust: Trust = fork
    ? {
        fork,
        authorCanWrite: pr.user ? (await checkWritePermission(context.octokit, owner, name, pr.user.login)).allowed : false,
        approved: await isApproved(deps, repository.id, pr.head.sha),
      }
    : SAME_REPOSITORY;
  const { data: commit } = await context.octokit.rest.git.getCommit({ owner, repo: name, commit_sha: pr.head.sha });
  if (isSkipCi(commit.message)) return "skipped: [skip ci] in the head commit message";

  return planCommit(
    deps,
    context.octokit,
    {
      repository,
      installationId: installation.id,
      sha: pr.head.sha,
      ref: `refs/pull/${pr.number}/head`,
      branch: pr.head.ref,
      event: "pull_request",
      prNumber: pr.number,
      sender: p.sender?.login ?? null,
      deliveryId: context.id,
    },
    { event: "pull_request", action: p.action, baseBranch: pr.base.ref },
    () => pullRequestChangedFiles(context.octokit, owner, name, pr.number),
    trust,
  );
}
