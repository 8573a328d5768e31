import { readFile } from "node:fs/promises";
import type { Logger } from "pino";
import type { BuildConfig } from "../planner/build-config.js";
import type { Db } from "../store/queue.js";
import { type BuildOutcome, setProcessGroup } from "../store/queue.js";
import type { Build } from "../store/schema.js";
import type { BuildLog } from "./build-log.js";
import { processOutcome } from "./build-outcome.js";
import type { BuildPaths } from "./build-workspace.js";
import { buildRunEnvironment } from "./run-environment.js";
import { type HeldProcess, holdProcess } from "./run-process.js";
import type { SecretMasker } from "./secret-masker.js";

/** The run summary file is read up to GitHub Actions' step summary limit. */
const SUMMARY_LIMIT = 1024 * 1024;

export interface ScriptDeps {
  db: Db;
  workerId: string;
  log: Logger;
}

/**
 * Starts the process for the pipeline's script, held until runBuildScript releases it:
 * started while the checkout is still under way, so that its fork is not on the build's
 * critical path.
 */
export function startBuildScript(deps: ScriptDeps, build: Build, config: BuildConfig, paths: BuildPaths, secrets: Record<string, string>): HeldProcess {
  const env = buildRunEnvironment({
    event: build.event,
    repository: build.repository,
    sha: build.sha,
    ref: build.ref ?? "",
    branch: build.branch,
    prNumber: build.pr_number,
    pipeline: build.pipeline,
    buildId: String(build.id),
    summaryFile: paths.summaryFile,
    home: paths.home,
    environment: build.environment,
    pipelineEnv: config.env,
    secrets,
  });
  return holdProcess({
    script: config.run,
    cwd: paths.workDir,
    env,
    onSpawn: (group) => {
      setProcessGroup(deps.db, build.id, deps.workerId, group).catch((error: unknown) => deps.log.warn({ err: error }, "recording the process group failed"));
    },
  });
}

/** Runs the pipeline's script (started by startBuildScript) in the checkout, its output into the build's log. */
export async function runBuildScript(
  log: Logger,
  build: Build,
  config: BuildConfig,
  paths: BuildPaths,
  script: HeldProcess,
  masker: SecretMasker,
  buildLog: BuildLog,
  signal: AbortSignal,
  cancelReason: () => string | null,
): Promise<BuildOutcome> {
  await buildLog.note(`Running ${build.pipeline} (timeout ${Math.round(config.timeoutMs / 1000)}s)`);
  // Kickoff's lines so far are stored before the script starts: should this process die
  // while it runs, the log still shows the attempt and where it got to.
  buildLog.flushNow();
  const result = await script.run({
    timeoutMs: config.timeoutMs,
    signal,
    onOutput: (chunk) => buildLog.write(chunk),
  });
  const outcome = processOutcome(result, config.timeoutMs, cancelReason());
  await buildLog.note(`${outcome.title}${result.exitCode !== null ? ` (exit code ${result.exitCode})` : ""}`);
  log.debug({ durationMs: result.durationMs, exitCode: result.exitCode }, "script finished");
  const summary = await readFile(paths.summaryFile).then(
    (b) => b.subarray(0, SUMMARY_LIMIT).toString("utf8"),
    () => "",
  );
  return { ...outcome, summary: summary.trim() ? masker.maskText(summary) : null, annotations: JSON.stringify(buildLog.annotations.annotations) };
}
