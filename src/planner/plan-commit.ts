import { CONFIG_PATH, type KickoffConfig, type Pipeline, RESERVED_PIPELINE_NAME } from "../config/kickoff-config.js";
import { matchPipelines, needsChangedFiles, type TriggerEvent } from "../config/match-triggers.js";
import { firstProblemTitle, parseKickoffConfig } from "../config/parse-kickoff-config.js";
import type { ConfigProblem } from "../config/kickoff-config.js";
import { completedRequests, queuedRequest } from "../github/check-run-request.js";
import type { InstallationOctokit } from "../github/github-app.js";
import { reportCheckRun } from "../github/report.js";
import { insertBuild } from "../store/queue.js";
import type { Build, NewBuild } from "../store/schema.js";
import { freezePipeline } from "./build-config.js";
import type { CommitTarget } from "./commit-target.js";
import type { PlannerDeps } from "./planner-deps.js";
import { readConfigAt } from "./read-config.js";
import { settleWaiting } from "./release-dependents.js";
import { supersedeOlder } from "./supersede.js";
import { needsApproval, SAME_REPOSITORY, type Trust } from "./gate.js";
import { mayDeploy } from "../config/environments.js";

/** A trigger before its changed files are known; they are fetched only if a filter needs them. */
export type PendingTrigger = Omit<Extract<TriggerEvent, { event: "push" }>, "changedFiles"> | Omit<Extract<TriggerEvent, { event: "pull_request" }>, "changedFiles">;

/**
 * Reads the config at the commit, decides which pipelines run, and stores their builds
 * with their `queued` check runs. Returns the delivery's outcome, in words.
 *
 * Safe to run twice for one delivery (a retry after a crash): builds carry a dedupe key
 * per commit and pipeline, and the builds and their reports are written in one
 * transaction, so a second run adds nothing.
 */
export async function planCommit(
  deps: PlannerDeps,
  octokit: InstallationOctokit,
  target: CommitTarget,
  pending: PendingTrigger,
  loadChangedFiles: () => Promise<string[] | null>,
  trust: Trust = SAME_REPOSITORY,
): Promise<string> {
  const { owner, name } = target.repository;
  const file = await readConfigAt(octokit, owner, name, target.sha);
  if (!file.found) return `no config: ${CONFIG_PATH} not found at ${target.sha.slice(0, 7)}`;

  const parsed = parseKickoffConfig(file.text);
  if (!parsed.ok) {
    const build = await storeConfigFailure(deps, target, parsed.errors);
    return build
      ? `invalid config: build #${build.id} (${parsed.errors.length} problem${parsed.errors.length === 1 ? "" : "s"})`
      : "invalid config: already reported for this commit";
  }

  const changedFiles = needsChangedFiles(parsed.config, { ...pending, changedFiles: null } as TriggerEvent) ? await loadChangedFiles() : null;
  let matched = matchPipelines(parsed.config, { ...pending, changedFiles } as TriggerEvent);
  if (matched.length === 0) return "filtered: no pipeline matched";
  const deploys = trust.fork ? matched.filter((p) => p.environment !== null) : [];
  // Fork code never deploys: deploys get environment secrets.
  matched = matched.filter((p) => !deploys.includes(p));
  const outcome = matched.length > 0 ? await storeBuilds(deps, target, withNeeds(parsed.config, matched), trust) : "filtered: no pipeline matched";
  return deploys.length > 0 ? `${outcome}; deploy pipelines never run from forks: ${deploys.map((p) => p.name).join(", ")}` : outcome;
}

/** A matched pipeline's `needs` are waited on only if they run for this commit too. */
export function withNeeds(config: KickoffConfig, matched: Pipeline[]): Pipeline[] {
  const names = new Set(matched.map((p) => p.name));
  return config.pipelines.filter((p) => names.has(p.name)).map((p) => ({ ...p, needs: p.needs.filter((n) => names.has(n)) }));
}

function buildRow(deps: PlannerDeps, target: CommitTarget, pipeline: string, config: string, dedupe = true): NewBuild {
  return {
    repository: target.repository.fullName,
    repository_id: target.repository.id,
    installation_id: target.installationId,
    private: target.repository.private ? 1 : 0,
    clone_url: target.repository.cloneUrl,
    html_url: target.repository.htmlUrl,
    pipeline,
    sha: target.sha,
    ref: target.ref,
    branch: target.branch,
    event: target.event,
    pr_number: target.prNumber,
    trigger_delivery: target.deliveryId,
    sender: target.sender,
    // One build per commit and pipeline from push and pull_request events: the first wins.
    dedupe_key: dedupe ? `${target.repository.id}:${target.sha}:${pipeline}` : null,
    deployment_id: target.deploymentId ?? null,
    config,
    status: "queued",
    queued_at: deps.clock.now(),
  };
}

/**
 * Stores builds (and their first check run state) for pipelines of one commit. With
 * `dedupe`, a pipeline already built for the commit is left alone (push and pull request
 * of one commit run once); without it (commands that ask to run again) it runs anew.
 */
export async function storeBuilds(deps: PlannerDeps, target: CommitTarget, pipelines: Pipeline[], trust: Trust, dedupe = true): Promise<string> {
  const created: Build[] = [];
  const held: Build[] = [];
  const skipped: string[] = [];
  const stopping: number[] = [];
  await deps.store.db.transaction().execute(async (trx) => {
    for (const p of pipelines) {
      const row = buildRow(deps, target, p.name, JSON.stringify(freezePipeline(p, deps.defaultTimeoutMs)), dedupe);
      row.fork = trust.fork ? 1 : 0;
      if (p.needs.length > 0) row.status = "waiting";
      const decision = decide(deps, target, p, trust);
      if (decision.kind === "hold") {
        Object.assign(row, { status: "done", conclusion: decision.conclusion, title: decision.title, finished_at: deps.clock.now() });
        // A refused deploy that came with its own deployment still reports on it.
        if (target.deploymentId) row.environment = p.environment;
      } else row.environment = decision.environment;
      const build = await insertBuild(trx, row);
      if (!build) {
        skipped.push(p.name);
        continue;
      }
      if (p.cancelSuperseded || build.environment !== null) stopping.push(...(await supersedeOlder(trx, deps.clock, deps.links, build, p.cancelSuperseded)));
      if (decision.kind === "hold") {
        held.push(build);
        const requests = completedRequests(build, deps.links.buildUrl(build.id), { logTail: "", annotations: [], droppedAnnotations: 0, runSummary: decision.summary });
        await reportCheckRun(trx, deps.clock, build, requests);
        continue;
      }
      created.push(build);
      await reportCheckRun(trx, deps.clock, build, [queuedRequest(build, deps.links.buildUrl(build.id))]);
    }
    for (const build of created) if (build.status === "waiting") await settleWaiting(trx, deps.clock, deps.links, build);
  });
  for (const id of stopping) deps.notifyCancel(id);
  if (created.length > 0) deps.wake();
  const parts: string[] = [];
  if (created.length > 0) parts.push(`builds: ${created.map((b) => `#${b.id} ${b.pipeline}`).join(", ")}`);
  const gated = held.filter((b) => b.conclusion === "action_required");
  const refused = held.filter((b) => b.conclusion !== "action_required");
  if (gated.length > 0) parts.push(`waiting for approval: ${gated.map((b) => `#${b.id} ${b.pipeline}`).join(", ")}`);
  if (refused.length > 0) parts.push(`refused: ${refused.map((b) => `#${b.id} ${b.title ?? b.pipeline}`).join(", ")}`);
  if (skipped.length > 0) parts.push(`already built for this commit: ${skipped.join(", ")}`);
  return parts.join("; ");
}

type Decision = { kind: "run"; environment: string | null } | { kind: "hold"; conclusion: "action_required" | "failure"; title: string; summary: string };

/** Whether a matched pipeline runs now, waits for approval, or may not deploy from here. */
function decide(deps: PlannerDeps, target: CommitTarget, p: Pipeline, trust: Trust): Decision {
  if (needsApproval(p, trust)) return { kind: "hold", conclusion: "action_required", title: "Approval needed: pull request from a fork", summary: APPROVAL_HELP };
  if (p.environment === null) return { kind: "run", environment: null };
  const permission = mayDeploy(deps.environments, p.environment, target.repository.fullName, target.ref, target.branch);
  if (!permission.allowed) {
    return {
      kind: "hold",
      conclusion: "failure",
      title: permission.reason,
      summary: `${permission.reason}, so nothing ran and no deployment was created. See the server's environments file (KICKOFF_ENVIRONMENTS_FILE).`,
    };
  }
  return { kind: "run", environment: p.environment };
}

const APPROVAL_HELP =
  "This pull request comes from a fork, so its code does not run until someone with write access approves this commit: " +
  "press **Approve and run** on this check, or comment `/kickoff approve` on the pull request. A new push needs a new approval.";

async function storeConfigFailure(deps: PlannerDeps, target: CommitTarget, errors: ConfigProblem[]): Promise<Build | undefined> {
  const now = deps.clock.now();
  const title = firstProblemTitle(errors);
  return deps.store.db.transaction().execute(async (trx) => {
    const row = buildRow(deps, target, RESERVED_PIPELINE_NAME, JSON.stringify({ errors }));
    const build = await insertBuild(trx, {
      ...row,
      status: "done",
      conclusion: "failure",
      title,
      started_at: now,
      finished_at: now,
      summary: errors.map((e) => `- line ${e.line}, column ${e.column}: ${e.message}`).join("\n"),
    });
    if (!build) return undefined;
    const annotations = errors.map((e) => ({
      level: "failure" as const,
      message: e.message,
      path: CONFIG_PATH,
      startLine: e.line,
      endLine: e.line,
      startColumn: e.column,
      endColumn: e.column,
      title: "Invalid Kickoff configuration",
    }));
    const requests = completedRequests(build, deps.links.buildUrl(build.id), {
      logTail: "",
      annotations,
      droppedAnnotations: 0,
      runSummary: `${CONFIG_PATH} is invalid, so no pipeline ran for this commit:\n\n${build.summary}`,
    });
    await reportCheckRun(trx, deps.clock, build, requests);
    deps.wake();
    return build;
  });
}
