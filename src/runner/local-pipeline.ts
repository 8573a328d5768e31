// One pipeline of a `kickoff run`, with the worker's pieces: the same checkout (bare
// mirror + `clone --shared`, here fed from the local repository), the same clean
// environment, process-group control, timeout, annotation parsing and KICKOFF_SUMMARY.

import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { formatDuration } from "../config/duration.js";
import type { BuildConfig } from "../planner/build-config.js";
import { AnnotationCollector, type Annotation } from "./annotations.js";
import { processOutcome } from "./build-outcome.js";
import { LineSplitter } from "./line-splitter.js";
import { buildRunEnvironment } from "./run-environment.js";
import { runProcess } from "./run-process.js";
import { checkout, removeWorkspace } from "./workspace.js";

/** GitHub's check run conclusions, the ones a local run can end with. */
export type LocalConclusion = "success" | "failure" | "timed_out" | "cancelled" | "skipped";

export interface LocalPipelineResult {
  name: string;
  conclusion: LocalConclusion;
  /** As the check run title would read: `Passed in 2s`, `Failed (exit 1) in 3s`. */
  title: string;
  /** Null when it never ran (skipped, or cancelled before it started). */
  durationMs: number | null;
  annotations: Annotation[];
  droppedAnnotations: number;
  /** What the run wrote to KICKOFF_SUMMARY, if anything. */
  summary: string | null;
}

/** What every pipeline of one local run shares. */
export interface LocalRunTarget {
  event: "push" | "pull_request";
  repository: string;
  sha: string;
  ref: string;
  branch: string | null;
  /**
   * `checkout`: a fresh checkout of `sha` from the repository at `repoDir` (no network).
   * `work-tree`: run in `repoDir` as it is.
   */
  source: { kind: "checkout"; repoDir: string; checkoutRef: string | null } | { kind: "work-tree"; repoDir: string };
}

export interface LocalPipelineHooks {
  /** One line of the run's output (without its newline). A promise pauses the output. */
  output(line: string): void | Promise<void>;
  /** Once the script leads its own process group (so Ctrl-C twice can kill it at once). */
  spawned?(processGroup: number): void;
  /** Checkout done, the script is about to start. */
  running?(): void;
}

/** The run summary file is read up to GitHub Actions' step summary limit, as the worker does. */
const SUMMARY_LIMIT = 1024 * 1024;

/**
 * Runs `config` for `name` under `scratch` (an empty directory, owned by this run and
 * removed by the caller). `dataDir` holds the run's shared mirror.
 */
export async function runLocalPipeline(
  name: string,
  config: BuildConfig,
  target: LocalRunTarget,
  dirs: { scratch: string; dataDir: string },
  signal: AbortSignal,
  hooks: LocalPipelineHooks,
): Promise<LocalPipelineResult> {
  const home = path.join(dirs.scratch, "home");
  const summaryFile = path.join(dirs.scratch, "summary.md");
  await mkdir(home, { recursive: true });
  await writeFile(summaryFile, "");
  const base = { name, annotations: [], droppedAnnotations: 0, summary: null };

  let workDir = target.source.repoDir;
  if (target.source.kind === "checkout") {
    workDir = path.join(dirs.scratch, "src");
    const checkedOut = await checkout(
      { dataDir: dirs.dataDir, repository: target.repository, cloneUrl: target.source.repoDir, sha: target.sha, ref: target.source.checkoutRef, token: null, signal },
      workDir,
    );
    if (!checkedOut.ok) {
      if (signal.aborted) return { ...base, conclusion: "cancelled", title: "Cancelled during checkout", durationMs: null };
      return { ...base, conclusion: "failure", title: `Checkout failed: ${checkedOut.error}`, durationMs: null };
    }
  }

  const env = buildRunEnvironment({
    event: target.event,
    repository: target.repository,
    sha: target.sha,
    ref: target.ref,
    branch: target.branch,
    prNumber: null,
    pipeline: name,
    buildId: "local",
    summaryFile,
    home,
    // A local run gets no environment secrets: they live on the server.
    environment: config.environment,
    pipelineEnv: config.env,
  });
  const lines = new LineSplitter();
  const annotations = new AnnotationCollector();
  const deliver = (batch: string[]): void | Promise<void> => {
    const pending: Promise<void>[] = [];
    for (const line of batch) {
      annotations.push(line);
      const waiting = hooks.output(line);
      if (waiting) pending.push(waiting);
    }
    if (pending.length > 0) return Promise.all(pending).then(() => undefined);
  };

  hooks.running?.();
  const result = await runProcess({
    script: config.run,
    cwd: workDir,
    env,
    timeoutMs: config.timeoutMs,
    signal,
    onOutput: (chunk) => deliver(lines.push(chunk)),
    ...(hooks.spawned ? { onSpawn: hooks.spawned } : {}),
  });
  await deliver(lines.end());
  const outcome = processOutcome(result, config.timeoutMs, signal.aborted ? `Cancelled after ${formatDuration(result.durationMs)} (interrupted)` : null);
  const summary = await readFile(summaryFile).then(
    (b) => b.subarray(0, SUMMARY_LIMIT).toString("utf8"),
    () => "",
  );
  if (target.source.kind === "checkout") await removeWorkspace(workDir).catch(() => undefined);
  return {
    name,
    conclusion: localConclusion(outcome.conclusion),
    title: outcome.title,
    durationMs: result.durationMs,
    annotations: annotations.annotations,
    droppedAnnotations: annotations.dropped,
    summary: summary.trim() === "" ? null : summary,
  };
}

// processOutcome only ever yields these four; anything else would be a failure here.
function localConclusion(conclusion: string): LocalConclusion {
  return conclusion === "success" || conclusion === "timed_out" || conclusion === "cancelled" ? conclusion : "failure";
}
