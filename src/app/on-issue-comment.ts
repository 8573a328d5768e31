import type { Context } from "probot";
import { checkWritePermission } from "../github/permission.js";
import { reportComment, reportReaction } from "../github/report.js";
import { approveCommit } from "../planner/approvals.js";
import { pullRequestChangedFiles } from "../planner/changed-files.js";
import { type CommitTarget, targetRepository } from "../planner/commit-target.js";
import { requestCancel } from "../planner/control.js";
import { planRunCommand } from "../planner/plan-run-command.js";
import type { PlannerDeps } from "../planner/planner-deps.js";
import { COMMAND_HELP, parseCommentCommand } from "./comment-command.js";

/**
 * `/kickoff run|cancel|approve` in a new pull request comment, honoured only from people
 * with write access (asked of GitHub now, not trusted from the payload). Each command is
 * answered with a reaction, or a reply saying why nothing happened.
 */
export async function onIssueComment(context: Context<"issue_comment">, deps: PlannerDeps): Promise<string> {
  const p = context.payload;
  if (p.action !== "created") return `ignored: comment ${p.action}`;
  if (!p.issue.pull_request) return "ignored: not a pull request";
  if (p.comment.user?.type === "Bot" || p.sender.type === "Bot") return "ignored: comment by a bot";
  const command = parseCommentCommand(p.comment.body ?? "");
  if (command === null) return "ignored: no /kickoff command";

  const installationId = (p as { installation?: { id: number } }).installation?.id;
  if (installationId === undefined) return "ignored: no installation in payload";
  const repository = targetRepository(p.repository as Parameters<typeof targetRepository>[0]);
  const { owner, name } = repository;
  const number = p.issue.number;
  const user = p.comment.user?.login ?? p.sender.login;
  const reply = async (body: string, outcome: string) => {
    await reportComment(deps.store.db, deps.clock, installationId, repository.fullName, number, `@${user} ${body}`);
    deps.wake();
    return outcome;
  };
  const react = async (outcome: string) => {
    await reportReaction(deps.store.db, deps.clock, installationId, repository.fullName, p.comment.id, "+1");
    deps.wake();
    return outcome;
  };

  if (command.name === "unknown") return reply(`I don't know \`${command.text.replace(/`/g, "")}\`. Commands:\n- ${COMMAND_HELP}`, "unknown command");
  const permission = await checkWritePermission(context.octokit, owner, name, user);
  if (!permission.allowed) return reply(`nothing happened: ${permission.reason}.`, `refused /kickoff ${command.name}: ${permission.reason}`);

  if (command.name === "cancel") {
    const open = await deps.store.db
      .selectFrom("builds")
      .selectAll()
      .where("repository_id", "=", repository.id)
      .where("pr_number", "=", number)
      .where("status", "in", ["queued", "waiting", "running"])
      .execute();
    if (open.length === 0) return reply("there is nothing queued or running to cancel.", "cancel: nothing to cancel");
    for (const build of open) await requestCancel(deps, build, `Cancelled by @${user}`);
    return react(`cancel: ${open.length} build(s)`);
  }

  const { data: pr } = await context.octokit.rest.pulls.get({ owner, repo: name, pull_number: number });
  const fork = !pr.head.repo || pr.head.repo.id !== pr.base.repo.id;
  if (command.name === "approve") {
    if (!fork) return reply("this pull request is not from a fork; its builds need no approval.", "approve: not a fork");
    const started = await approveCommit(deps, repository.id, pr.head.sha, user, context.id);
    return react(`approved ${pr.head.sha.slice(0, 7)} by @${user}: ${started.length} build(s) started`);
  }

  // `/kickoff run` from a writer counts as approval of a fork's head commit.
  if (fork) {
    await deps.store.db
      .insertInto("approvals")
      .values({ repository_id: repository.id, sha: pr.head.sha, approved_by: user, approved_at: deps.clock.now() })
      .onConflict((oc) => oc.columns(["repository_id", "sha"]).doNothing())
      .execute();
  }
  const target: CommitTarget = {
    repository,
    installationId,
    sha: pr.head.sha,
    ref: `refs/pull/${number}/head`,
    branch: pr.head.ref,
    event: "pull_request",
    prNumber: number,
    sender: user,
    deliveryId: context.id,
  };
  const result = await planRunCommand(deps, context.octokit, target, pr.base.ref, command.pipeline, () => pullRequestChangedFiles(context.octokit, owner, name, number), {
    fork,
    authorCanWrite: true,
    approved: true,
  });
  return result.ok ? react(`run: ${result.outcome}`) : reply(result.reply, `run: ${result.reply}`);
}
