import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseDuration } from "../config/duration.js";
import { CONFIG_PATH } from "../config/kickoff-config.js";
import type { TriggerEvent } from "../config/match-triggers.js";
import { parseKickoffConfig } from "../config/parse-kickoff-config.js";
import { isSafeRef } from "../runner/checkout-input.js";
import { planLocalRun } from "../runner/local-plan.js";
import { LocalRepositoryError, openLocalRepository, readLocalConfig } from "../runner/local-repository.js";
import { runLocally } from "../runner/local-run.js";
import { killProcessGroup } from "../runner/process-group.js";
import { removeTree } from "../runner/remove-tree.js";
import { RunReport } from "./run-report.js";
import { UsageError } from "./usage-error.js";

export interface RunCommandOptions {
  pipelines: string[];
  event: string | undefined;
  branch: string | undefined;
  dirty: boolean;
  concurrency: string | undefined;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Exit code after Ctrl-C, as shells report a SIGINT death. */
const INTERRUPTED = 130;
const DEFAULT_TIMEOUT = "30m";

/**
 * `kickoff run [pipeline…]`: the repository's pipelines on this machine, as the bot would
 * run them. 0 when every pipeline it ran succeeded, 1 otherwise, 130 after Ctrl-C.
 */
export async function runCommand(o: RunCommandOptions): Promise<number> {
  const event = o.event ?? "push";
  if (event !== "push" && event !== "pull_request") throw new UsageError(`--event must be push or pull_request, got "${event}"`);
  const concurrency = o.concurrency === undefined ? os.availableParallelism() : Number(o.concurrency);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency must be a whole number of at least 1, got "${o.concurrency}"`);
  const defaultTimeoutMs = parseDuration((o.env ?? process.env).KICKOFF_DEFAULT_TIMEOUT || DEFAULT_TIMEOUT);
  if (defaultTimeoutMs === null || defaultTimeoutMs <= 0) throw new UsageError("KICKOFF_DEFAULT_TIMEOUT: expected a duration such as 30s, 15m or 2h");

  const report = new RunReport(process.stdout);
  const fail = (message: string): number => {
    process.stderr.write(`kickoff run: ${message}\n`);
    return 1;
  };
  // An empty HOME for git, as the workers use: no user config or credentials are read.
  const gitHome = await mkdtemp(path.join(os.tmpdir(), "kickoff-git-"));
  try {
    let repo;
    try {
      repo = await openLocalRepository(o.cwd ?? process.cwd(), gitHome);
    } catch (error) {
      if (error instanceof LocalRepositoryError) return fail(error.message);
      throw error;
    }
    const file = await readLocalConfig(repo, gitHome, o.dirty);
    if (!file.found) return fail(file.reason);
    const parsed = parseKickoffConfig(file.text);
    if (!parsed.ok) {
      for (const p of parsed.errors) process.stderr.write(`${CONFIG_PATH}:${p.line}:${p.column}: ${p.severity}: ${p.message}\n`);
      return fail(`${CONFIG_PATH} is invalid, so nothing ran (the bot would report a failed \`kickoff\` check run)`);
    }

    const branch = o.branch ?? repo.branch;
    if (branch === null) throw new UsageError("HEAD is detached: say which branch to act as with --branch NAME");
    if (branch.trim() === "") throw new UsageError("--branch needs a branch name");
    const trigger: TriggerEvent =
      event === "push"
        ? { event: "push", refType: "branch", refName: branch, changedFiles: null }
        : { event: "pull_request", action: "opened", baseBranch: branch, changedFiles: null };
    const planned = planLocalRun(parsed.config, o.pipelines, trigger);
    if (!planned.ok) throw new UsageError(planned.error);
    const { pipelines, deploysLeftOut } = planned.plan;

    const what = event === "push" ? `a push to ${branch}` : `a pull request into ${branch}`;
    report.note(`${what}, commit ${repo.sha.slice(0, 7)} of ${repo.repository}`);
    report.note(
      o.dirty
        ? `running in the work tree as it is: ${repo.root}`
        : `running in fresh checkouts of HEAD${repo.dirty ? " (uncommitted changes are left out; --dirty includes them)" : ""}`,
    );
    for (const name of deploysLeftOut) report.note(`${name}: deploy pipeline, runs only when named (kickoff run ${name})`);
    if (pipelines.length === 0) {
      report.note(`nothing to run: no pipeline starts on ${what}`);
      return 0;
    }
    report.note(`pipelines: ${pipelines.map((p) => p.name).join(", ")}`);

    const cancel = new AbortController();
    const groups = new Set<number>();
    let interrupts = 0;
    const onInterrupt = (): void => {
      interrupts += 1;
      if (interrupts === 1) {
        report.note("interrupted: cancelling the running pipelines (Ctrl-C again kills them at once)");
        cancel.abort();
        return;
      }
      for (const group of groups) killProcessGroup(group, "SIGKILL");
      process.stderr.write("kickoff run: killed\n");
      process.exit(INTERRUPTED);
    };
    process.on("SIGINT", onInterrupt);
    process.on("SIGTERM", onInterrupt);
    let results;
    try {
      results = await runLocally({
        pipelines,
        target: {
          event,
          repository: repo.repository,
          sha: repo.sha,
          ref: `refs/heads/${branch}`,
          branch,
          source: o.dirty ? { kind: "work-tree", repoDir: repo.root } : { kind: "checkout", repoDir: repo.root, checkoutRef: checkoutRef(repo.branch) },
        },
        defaultTimeoutMs,
        concurrency,
        signal: cancel.signal,
        reporter: {
          started: (name) => report.started(name),
          output: (name, line) => report.output(name, line),
          spawned: (_name, group) => groups.add(group),
          finished: (result) => report.finished(result),
        },
      });
    } finally {
      process.off("SIGINT", onInterrupt);
      process.off("SIGTERM", onInterrupt);
    }
    report.final(results);
    if (cancel.signal.aborted) return INTERRUPTED;
    return results.every((r) => r.conclusion === "success") ? 0 : 1;
  } finally {
    await removeTree(gitHome).catch(() => undefined);
  }
}

// Only a fallback for fetching the commit (the sha is fetched first), so a branch name
// the checkout would refuse is simply left out.
function checkoutRef(branch: string | null): string | null {
  const ref = branch === null ? null : `refs/heads/${branch}`;
  return ref !== null && isSafeRef(ref) ? ref : null;
}
