import type { Context } from "probot";
import { isSkipCi } from "../config/match-triggers.js";
import { pushChangedFiles } from "../planner/changed-files.js";
import { targetRepository } from "../planner/commit-target.js";
import { planCommit } from "../planner/plan-commit.js";
import type { PlannerDeps } from "../planner/planner-deps.js";

/** A push to a branch or tag: plan the pushed head commit. Returns the outcome in words. */
export async function onPush(context: Context<"push">, deps: PlannerDeps): Promise<string> {
  const p = context.payload;
  if (p.deleted || /^0{40}$/.test(p.after)) return "ignored: branch or tag deleted";
  if (!p.installation) return "ignored: no installation in payload";
  if (isSkipCi(p.head_commit?.message)) return "skipped: [skip ci] in the head commit message";

  const branch = p.ref.startsWith("refs/heads/") ? p.ref.slice("refs/heads/".length) : null;
  const tag = p.ref.startsWith("refs/tags/") ? p.ref.slice("refs/tags/".length) : null;
  if (branch === null && tag === null) return `ignored: ref ${p.ref} is neither a branch nor a tag`;

  const repository = targetRepository(p.repository as Parameters<typeof targetRepository>[0]);
  return planCommit(
    deps,
    context.octokit,
    {
      repository,
      installationId: p.installation.id,
      sha: p.after,
      ref: p.ref,
      branch,
      event: "push",
      prNumber: null,
      sender: p.sender?.login ?? null,
      deliveryId: context.id,
    },
    branch !== null ? { event: "push", refType: "branch", refName: branch } : { event: "push", refType: "tag", refName: tag! },
    () =>
      pushChangedFiles(context.octokit, repository.owner, repository.name, {
        before: p.before,
        after: p.after,
        created: p.created,
        forced: p.forced,
        defaultBranch: p.repository.default_branch ?? "main",
        branch,
        commits: p.commits ?? [],
      }),
  );
}
