import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { completedRequests, inProgressRequest } from "../github/check-run-request.js";
import type { GitHubApp } from "../github/github-app.js";
import { reportCheckRun } from "../github/report.js";
import { releaseDependents } from "../planner/release-dependents.js";
import { readBuildConfig } from "../planner/build-config.js";
import type { Environments } from "../config/environments.js";
import type { CancelBus } from "../shared/cancel-bus.js";
import type { Clock } from "../shared/clock.js";
import type { Store } from "../store/database.js";
import { type BuildOutcome, finishBuild, heartbeat, setProcessGroup } from "../store/queue.js";
import type { Build } from "../store/schema.js";
import type { Links } from "../web/links.js";
import { BuildLog } from "./build-log.js";
import { processOutcome } from "./build-outcome.js";
import { stripAnsi } from "./log-tail.js";
import { buildRunEnvironment } from "./run-environment.js";
import { runProcess } from "./run-process.js";
import { SecretMasker } from "./secret-masker.js";
import { checkout, removeWorkspace } from "./workspace.js";

export interface ExecuteDeps {
  store: Store;
  clock: Clock;
  github: GitHubApp;
  links: Links;
  log: Logger;
  dataDir: string;
  workerId: string;
  leaseMs: number;
  heartbeatMs: number;
  cancellations: CancelBus;
  environments: Environments;
  wake(): void;
}

/** The run summary file is read up to GitHub Actions' step summary limit. */
const SUMMARY_LIMIT = 1024 * 1024;

/**
 * Runs one claimed build on this machine: report it started, check out the commit, run
 * the script in a clean environment, store its log, and finish the build (guarded by our
 * claim) together with its completed check run.
 */
export async function executeBuild(deps: ExecuteDeps, build: Build, shutdown: AbortSignal): Promise<void> {
  const log = deps.log.child({ build: build.id, delivery: build.trigger_delivery ?? undefined, pipeline: build.pipeline });
  const config = readBuildConfig(build.config);
  const dir = path.join(deps.dataDir, "builds", String(build.id));
  const workDir = path.join(dir, "src");
  const summaryFile = path.join(dir, "summary.md");
  const home = path.join(dir, "home");

  await reportCheckRun(deps.store.db, deps.clock, build, [inProgressRequest(build, deps.links.buildUrl(build.id), build.started_at ?? deps.clock.now())]);
  deps.wake();

  // Fork code never sees secrets; planning never lets a fork deploy, and this holds anyway.
  const secrets = build.environment !== null && build.fork === 0 ? (deps.environments.get(build.environment)?.secrets ?? null) : {};
  const masker = new SecretMasker(Object.values(secrets ?? {}));
  const buildLog = await BuildLog.open(deps.store, deps.clock, build.id, { workerId: deps.workerId, onChunk: deps.wake, masker });
  const cancel = new AbortController();
  let cancelReason: string | null = null;
  let lost = false;
  const stopOnShutdown = () => cancel.abort();
  shutdown.addEventListener("abort", stopOnShutdown);
  // The heartbeat also carries cancel requests from any machine; a cancel stored by this
  // process checks at once instead of waiting for the next beat.
  const beatOnce = () =>
    heartbeat(deps.store.db, deps.clock, build.id, deps.workerId, deps.leaseMs).then(
      (hb) => {
        if (!hb.held) {
          // Another worker took the build over: stop, and write nothing more.
          lost = true;
          cancel.abort();
        } else if (hb.cancelRequested && !cancel.signal.aborted) {
          cancelReason = hb.cancelReason;
          cancel.abort();
        }
      },
      (error: unknown) => log.warn({ err: error }, "heartbeat failed"),
    );
  const beat = setInterval(() => void beatOnce(), deps.heartbeatMs);
  const unsubscribe = deps.cancellations.subscribe(build.id, () => void beatOnce());

  let outcome: BuildOutcome;
  try {
    const unprepared = await prepareWorkspace(dir, home, summaryFile);
    if (unprepared !== null) {
      log.error({ err: unprepared.error }, "could not create the build's workspace");
      await buildLog.note(`checkout failed: ${unprepared.title}`);
    }
    outcome =
      unprepared !== null
        ? { conclusion: "failure", title: `Checkout failed: ${unprepared.title}`, exitCode: null, summary: null, annotations: null }
        : secrets === null
          ? { conclusion: "failure", title: `Environment ${build.environment} is no longer configured on this Kickoff server`, exitCode: null, summary: null, annotations: null }
          : await checkoutAndRun(deps, build, config, { workDir, summaryFile, home, secrets, masker }, buildLog, cancel.signal, () => cancelReason, log);
  } catch (error) {
    log.error({ err: error }, "build failed inside Kickoff");
    outcome = { conclusion: "failure", title: "Kickoff failed to run the build (see the log)", exitCode: null, summary: null, annotations: null };
    await buildLog.note(`internal error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearInterval(beat);
    unsubscribe();
    shutdown.removeEventListener("abort", stopOnShutdown);
    await buildLog.close().catch((error: unknown) => log.error({ err: error }, "storing the last log chunk failed"));
    await removeWorkspace(dir).catch((error: unknown) => log.warn({ err: error }, "removing the workspace failed"));
  }

  if (lost) {
    log.warn("lost the build's lease to another worker; not reporting");
    return;
  }
  if (shutdown.aborted && cancelReason === null) {
    // Shutting down: leave the build running-but-unheartbeated; the restart (or another
    // worker, once the lease lapses) picks it up again.
    log.warn("shutdown interrupted the build; it will be recovered");
    return;
  }
  const reported = await deps.store.db.transaction().execute(async (trx) => {
    const finished = await finishBuild(trx, deps.clock, build.id, deps.workerId, outcome);
    if (!finished) return false;
    await reportCheckRun(
      trx,
      deps.clock,
      finished,
      completedRequests(finished, deps.links.buildUrl(finished.id), {
        logTail: stripAnsi(buildLog.tail.text()),
        annotations: buildLog.annotations.annotations,
        droppedAnnotations: buildLog.annotations.dropped,
        runSummary: outcome.summary,
      }),
    );
    await releaseDependents(trx, deps.clock, deps.links, finished);
    return true;
  });
  if (!reported) {
    // Presumed dead (say the machine stalled past the lease) and taken over meanwhile:
    // the successor owns the build and its check run now.
    log.warn({ conclusion: outcome.conclusion }, "the build was taken over while it ran; discarding this attempt's result");
    return;
  }
  deps.wake();
  log.info({ conclusion: outcome.conclusion }, outcome.title);
}

interface Paths {
  workDir: string;
  summaryFile: string;
  home: string;
  secrets: Record<string, string>;
  masker: SecretMasker;
}

async function checkoutAndRun(
  deps: ExecuteDeps,
  build: Build,
  config: ReturnType<typeof readBuildConfig>,
  paths: Paths,
  buildLog: BuildLog,
  signal: AbortSignal,
  cancelReason: () => string | null,
  log: Logger,
): Promise<BuildOutcome> {
  const none = { summary: null, annotations: null };
  // Each attempt names its worker in the log, so the build page shows who ran what.
  await buildLog.note(`Attempt ${build.attempt} on worker ${deps.workerId}`);
  await buildLog.note(`Checking out ${build.repository}@${build.sha.slice(0, 12)}`);
  let token: string;
  try {
    token = await withRetries(() => deps.github.installationToken(build.installation_id), 3);
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    log.warn({ err: error }, "could not get an installation token");
    await buildLog.note(`could not get an installation token from GitHub${typeof status === "number" ? ` (HTTP ${status})` : ""}`);
    return {
      conclusion: "failure",
      title: `Checkout failed: GitHub did not issue an installation token${typeof status === "number" ? ` (HTTP ${status})` : ""}`,
      exitCode: null,
      ...none,
    };
  }
  const checkedOut = await checkout(
    { dataDir: deps.dataDir, repository: build.repository, cloneUrl: build.clone_url, sha: build.sha, ref: build.ref, token, signal },
    paths.workDir,
  );
  if (!checkedOut.ok) {
    if (signal.aborted) return { conclusion: "cancelled", title: cancelReason() ?? "Cancelled during checkout", exitCode: null, ...none };
    await buildLog.note(`checkout failed: ${checkedOut.error}`);
    return { conclusion: "failure", title: `Checkout failed: ${checkedOut.error}`.slice(0, 255), exitCode: null, ...none };
  }
  await buildLog.note(`Running ${build.pipeline} (timeout ${Math.round(config.timeoutMs / 1000)}s)`);
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
    secrets: paths.secrets,
  });
  const result = await runProcess({
    script: config.run,
    cwd: paths.workDir,
    env,
    timeoutMs: config.timeoutMs,
    signal,
    onOutput: (chunk) => buildLog.write(chunk),
    onSpawn: (group) => {
      setProcessGroup(deps.store.db, build.id, deps.workerId, group).catch((error: unknown) => log.warn({ err: error }, "recording the process group failed"));
    },
  });
  const outcome = processOutcome(result, config.timeoutMs, cancelReason());
  await buildLog.note(`${outcome.title}${result.exitCode !== null ? ` (exit code ${result.exitCode})` : ""}`);
  log.debug({ durationMs: result.durationMs, exitCode: result.exitCode }, "script finished");
  const summary = await readFile(paths.summaryFile).then(
    (b) => b.subarray(0, SUMMARY_LIMIT).toString("utf8"),
    () => "",
  );
  return { ...outcome, summary: summary.trim() ? paths.masker.maskText(summary) : null, annotations: JSON.stringify(buildLog.annotations.annotations) };
}

/**
 * A full disk, a file in the way or lost permissions on KICKOFF_DATA_DIR fail the build
 * with a title saying so, rather than as an internal error. The title names the
 * directory only relative to the data directory: it goes to GitHub.
 */
async function prepareWorkspace(dir: string, home: string, summaryFile: string): Promise<{ title: string; error: unknown } | null> {
  try {
    await rm(dir, { recursive: true, force: true });
    await mkdir(home, { recursive: true });
    await writeFile(summaryFile, "");
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOSPC"
        ? "no space left on the device"
        : code === "ENOTDIR" || code === "EEXIST"
          ? "a file is in the way"
          : code === "EACCES" || code === "EPERM"
            ? "permission denied"
            : code === "EROFS"
              ? "read-only file system"
              : (code ?? "unknown error");
    return { title: `cannot create the workspace under KICKOFF_DATA_DIR/builds (${why})`, error };
  }
}

async function withRetries<T>(fn: () => Promise<T>, tries: number): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= tries) throw error;
      await new Promise((r) => setTimeout(r, 500 * 2 ** i));
    }
  }
}
