import type { Logger } from "pino";
import { completedRequests, inProgressRequest } from "../github/check-run-request.js";
import type { GitHubApp } from "../github/github-app.js";
import { reportCheckRun } from "../github/report.js";
import { releaseDependents } from "../planner/release-dependents.js";
import { type BuildConfig, readBuildConfig } from "../planner/build-config.js";
import type { Environments } from "../config/environments.js";
import type { CancelBus } from "../shared/cancel-bus.js";
import type { Clock } from "../shared/clock.js";
import type { Store } from "../store/database.js";
import { type BuildOutcome, finishBuild, heartbeat } from "../store/queue.js";
import type { Build } from "../store/schema.js";
import type { Links } from "../web/links.js";
import { type BuildCheckout, checkOutBuild } from "./build-checkout.js";
import { BuildLog } from "./build-log.js";
import { runBuildScript, startBuildScript } from "./build-script.js";
import { type BuildPaths, buildPaths, prepareWorkspace, type WorkspaceProblem } from "./build-workspace.js";
import { stripAnsi } from "./log-tail.js";
import { SecretMasker } from "./secret-masker.js";
import type { HeldProcess } from "./run-process.js";
import { removeWorkspace } from "./workspace.js";

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

/**
 * Runs one claimed build on this machine: report it started, check out the commit, run
 * the script in a clean environment, store its log, and finish the build (guarded by our
 * claim) together with its completed check run.
 */
export async function executeBuild(deps: ExecuteDeps, build: Build, shutdown: AbortSignal): Promise<void> {
  const log = deps.log.child({ build: build.id, delivery: build.trigger_delivery ?? undefined, pipeline: build.pipeline });
  const config = readBuildConfig(build.config);
  const paths = buildPaths(deps.dataDir, build.id);
  // Fork code never sees secrets; planning never lets a fork deploy, and this holds anyway.
  const secrets = build.environment !== null && build.fork === 0 ? (deps.environments.get(build.environment)?.secrets ?? null) : {};
  const masker = new SecretMasker(Object.values(secrets ?? {}));
  const cancel = new AbortController();
  let cancelReason: string | null = null;
  let lost = false;
  const stopOnShutdown = () => cancel.abort();
  shutdown.addEventListener("abort", stopOnShutdown);

  // The checkout starts first and everything up to the script overlaps it; it writes into
  // the workspace only once that exists.
  const workspace = prepareWorkspace(paths);
  const code =
    secrets === null
      ? null
      : checkOutBuild(
          { github: deps.github, dataDir: deps.dataDir, log },
          build,
          paths.workDir,
          workspace.then((problem) => problem === null),
          cancel.signal,
        );
  // The script's process starts as soon as its directory is there, held until the
  // checkout is done (see holdProcess). A failure to start it is a value, seen at the run.
  const script: Promise<HeldProcess | Error | null> =
    secrets === null
      ? Promise.resolve(null)
      : workspace
          .then((problem) => (problem === null ? startBuildScript({ db: deps.store.db, workerId: deps.workerId, log }, build, config, paths, secrets) : null))
          .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  await reportCheckRun(deps.store.db, deps.clock, build, [inProgressRequest(build, deps.links.buildUrl(build.id), build.started_at ?? deps.clock.now())]);
  deps.wake();
  const buildLog = await BuildLog.open(deps.store, deps.clock, build.id, { workerId: deps.workerId, masker });
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
    outcome = await checkoutAndRun(deps, build, config, paths, { workspace, code, script, masker }, buildLog, cancel.signal, () => cancelReason, log);
  } catch (error) {
    log.error({ err: error }, "build failed inside Kickoff");
    outcome = { conclusion: "failure", title: "Kickoff failed to run the build (see the log)", exitCode: null, summary: null, annotations: null };
    await buildLog.note(`internal error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearInterval(beat);
    unsubscribe();
    shutdown.removeEventListener("abort", stopOnShutdown);
    // An unfinished checkout (the build failed before it was needed) must not outlive the build.
    cancel.abort();
    await script.then((held) => (held instanceof Error ? undefined : held?.discard()));
    await code;
    await buildLog.close().catch((error: unknown) => log.error({ err: error }, "storing the last log chunk failed"));
  }
  try {
    await report(deps, build, outcome, buildLog, { lost, shutdown: shutdown.aborted && cancelReason === null }, log);
  } finally {
    // After the report, so the check run completes without waiting for the disk; a crash
    // in between leaves a directory that the next start sweeps (sweepWorkspaces).
    await removeWorkspace(paths.dir).catch((error: unknown) => log.warn({ err: error }, "removing the workspace failed"));
  }
}

async function report(deps: ExecuteDeps, build: Build, outcome: BuildOutcome, buildLog: BuildLog, stop: { lost: boolean; shutdown: boolean }, log: Logger): Promise<void> {
  if (stop.lost) {
    log.warn("lost the build's lease to another worker; not reporting");
    return;
  }
  if (stop.shutdown) {
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

interface Started {
  workspace: Promise<WorkspaceProblem | null>;
  /** null when the build cannot run at all (its environment is gone). */
  code: Promise<BuildCheckout> | null;
  /** null when the build cannot run, or its workspace could not be made. */
  script: Promise<HeldProcess | Error | null>;
  masker: SecretMasker;
}

async function checkoutAndRun(
  deps: ExecuteDeps,
  build: Build,
  config: BuildConfig,
  paths: BuildPaths,
  started: Started,
  buildLog: BuildLog,
  signal: AbortSignal,
  cancelReason: () => string | null,
  log: Logger,
): Promise<BuildOutcome> {
  const none = { exitCode: null, summary: null, annotations: null };
  // Each attempt names its worker in the log, so the build page shows who ran what.
  await buildLog.note(`Attempt ${build.attempt} on worker ${deps.workerId}`);
  const problem = await started.workspace;
  if (problem !== null) {
    log.error({ err: problem.error }, "could not create the build's workspace");
    await buildLog.note(`checkout failed: ${problem.title}`);
    return { conclusion: "failure", title: `Checkout failed: ${problem.title}`, ...none };
  }
  if (started.code === null) {
    return { conclusion: "failure", title: `Environment ${build.environment} is no longer configured on this Kickoff server`, ...none };
  }
  await buildLog.note(`Checking out ${build.repository}@${build.sha.slice(0, 12)}`);
  const checkedOut = await started.code;
  if (!checkedOut.ok) {
    if (checkedOut.note !== null) await buildLog.note(checkedOut.note);
    return { conclusion: checkedOut.cancelled ? "cancelled" : "failure", title: checkedOut.cancelled ? (cancelReason() ?? checkedOut.title) : checkedOut.title, ...none };
  }
  const script = await started.script;
  if (script instanceof Error) throw script;
  if (script === null) throw new Error("the script's process was never started");
  return runBuildScript(log, build, config, paths, script, started.masker, buildLog, signal, cancelReason);
}
