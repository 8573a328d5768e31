import { stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { execa } from "execa";
import { BASH } from "./bash.js";
import { killProcessGroup } from "./process-group.js";
import type { KillSignal } from "./process-group.js";
import { OutputPump } from "./output-pump.js";

/** What a script's process is started with. */
export interface StartSpec {
  /** The pipeline's `run`, executed by `bash -eo pipefail -c`. */
  script: string;
  /** Where the script runs; it need not exist until the script is released (see holdProcess). */
  cwd: string;
  /** The complete environment: nothing is inherited from process.env. */
  env: Record<string, string>;
  /** Told the process group id once the process started (it leads its own group). */
  onSpawn?(processGroup: number): void;
}

/** How a started script runs. */
export interface RunSpec {
  timeoutMs: number;
  /** Aborting cancels the run. */
  signal?: AbortSignal;
  /** Time between SIGTERM and SIGKILL, default 5000. */
  killGraceMs?: number;
  /**
   * stdout and stderr, merged in the order the script wrote them. A returned promise
   * pauses the output until it settles.
   */
  onOutput(chunk: Buffer): void | Promise<void>;
}

export type ProcessSpec = StartSpec & RunSpec;

/** A script's process, started and waiting for `run` (or `discard`). */
export interface HeldProcess {
  /** Releases the script; at most once. */
  run(spec: RunSpec): Promise<ProcessResult>;
  /** Ends the process without running the script; a no-op once it runs. */
  discard(): void;
}

export interface ProcessResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  /** Why the script could not run (or its output could not be handled), as a value. */
  error: string | null;
}

interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: number;
}

const DEFAULT_KILL_GRACE_MS = 5000;
// After the script's process group is gone, the pipes close at once unless a process
// that escaped the group (setsid) still holds them. Stop waiting for such a process once
// nothing has arrived for DRAIN_IDLE_MS, and in any case after DRAIN_MAX_MS.
const DRAIN_IDLE_MS = 300;
const DRAIN_MAX_MS = 10_000;
// setTimeout fires at once for delays beyond a signed 32-bit integer.
const MAX_TIMER_MS = 2 ** 31 - 1;

// One pipe for both streams is the only way to keep their true order: with two pipes
// the reader cannot tell which of two close writes came first. So a first bash points
// fd 2 at fd 1 and execs the real `bash -eo pipefail -c`. Before that it waits for one
// line on stdin: `run` releases the script (in the directory $2, which may not have
// existed when the process started), anything else (or Kickoff gone) ends it unrun. The
// script travels as an argument ($1), never spliced into the command text.
const HOLD_MERGE_AND_RUN = 'IFS= read -r go && [ "$go" = run ] || exit 0; cd -- "$2" && exec 2>&1 </dev/null && exec "$0" -eo pipefail -c "$1"';

/** Starts a script's process and runs the script at once. */
export function runProcess(spec: ProcessSpec): Promise<ProcessResult> {
  return holdProcess(spec).run(spec);
}

/**
 * Starts a script's process without running the script yet. Node starts a process with
 * fork(), which blocks the event loop for several milliseconds in a server Kickoff's size:
 * a build starts its script's process while its checkout still waits on the network, and
 * releases it (within a pipe's write) once the checkout is done.
 */
export function holdProcess(spec: StartSpec): HeldProcess {
  const cwd = path.resolve(spec.cwd);
  // Started in a directory that surely exists; the script itself runs in cwd.
  const subprocess = execa(BASH, ["--noprofile", "--norc", "-c", HOLD_MERGE_AND_RUN, BASH, spec.script, cwd], {
    cwd: "/",
    env: spec.env,
    extendEnv: false,
    detached: true,
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    buffer: false,
    encoding: "buffer",
    reject: false,
    stripFinalNewline: false,
  });
  const pid = subprocess.pid;
  if (pid !== undefined) spec.onSpawn?.(pid);
  const started: Started = { subprocess, pid, cwd, exit: null, onExit: null };
  subprocess.once("exit", (code: number | null, signal: NodeJS.Signals | null) => {
    started.exit = { code, signal, at: performance.now() };
    // Background jobs (`server &`) must not outlive the script, nor keep its pipes open.
    killProcessGroup(pid, "SIGKILL");
    started.onExit?.();
  });
  // Writing to a process that is already gone must not become an uncaught error.
  subprocess.stdin?.on("error", () => undefined);
  let state: "held" | "running" | "discarded" = "held";
  return {
    discard() {
      if (state !== "held") return;
      state = "discarded";
      void endUnrun(started);
    },
    run(run) {
      if (state !== "held") throw new Error(`the process was already ${state === "running" ? "run" : "discarded"}`);
      state = "running";
      return runHeld(started, run);
    },
  };
}

type Subprocess = ReturnType<typeof execa<{ stdin: "pipe"; stdout: "pipe"; stderr: "pipe"; buffer: false; encoding: "buffer"; reject: false }>>;

interface Started {
  subprocess: Subprocess;
  pid: number | undefined;
  cwd: string;
  exit: ExitInfo | null;
  onExit: (() => void) | null;
}

/** Ends a held process without running the script, and lets go of its pipes. */
async function endUnrun({ subprocess, pid }: Started): Promise<void> {
  subprocess.stdin?.end();
  killProcessGroup(pid, "SIGKILL");
  subprocess.stdout?.destroy();
  subprocess.stderr?.destroy();
  await subprocess.catch(() => undefined);
}

async function runHeld(started: Started, spec: RunSpec): Promise<ProcessResult> {
  const { subprocess, pid } = started;
  const startedAt = performance.now();
  if (spec.signal?.aborted) {
    await endUnrun(started);
    return { exitCode: null, signal: null, timedOut: false, cancelled: true, durationMs: 0, error: null };
  }
  const noDirectory = await directoryProblem(started.cwd);
  if (noDirectory !== null) {
    await endUnrun(started);
    return { exitCode: null, signal: null, timedOut: false, cancelled: false, durationMs: 0, error: `could not start the script: ${noDirectory}` };
  }
  subprocess.stdin?.end("run\n");

  const streams = [subprocess.stdout, subprocess.stderr].filter((s): s is Readable => s !== null);
  const pump = new OutputPump(streams, (chunk) => spec.onOutput(chunk));

  let timedOut = false;
  let cancelled = false;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        fn();
      },
      Math.min(Math.max(0, ms), MAX_TIMER_MS),
    );
    timers.add(timer);
  };
  const clearTimers = (): void => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  };

  let terminating = false;
  const terminate = (): void => {
    if (terminating || started.exit !== null) return;
    terminating = true;
    signalGroup("SIGTERM");
    later(spec.killGraceMs ?? DEFAULT_KILL_GRACE_MS, () => signalGroup("SIGKILL"));
  };
  const signalGroup = (signal: KillSignal): void => killProcessGroup(pid, signal);

  const onAbort = (): void => {
    if (started.exit !== null || timedOut) return;
    cancelled = true;
    terminate();
  };
  spec.signal?.addEventListener("abort", onAbort, { once: true });
  if (pid !== undefined) {
    later(spec.timeoutMs, () => {
      if (started.exit !== null || cancelled) return;
      timedOut = true;
      terminate();
    });
  }

  const watchDrain = (): void => {
    const deadline = Date.now() + DRAIN_MAX_MS;
    const check = (): void => {
      const quiet = !pump.working && Date.now() - pump.lastActivityAt >= DRAIN_IDLE_MS;
      if (quiet || Date.now() >= deadline) {
        for (const stream of streams) stream.destroy();
        return;
      }
      later(DRAIN_IDLE_MS, check);
    };
    later(DRAIN_IDLE_MS, check);
  };
  const exited = (): void => {
    clearTimers();
    watchDrain();
  };
  // The process may have ended already (it could not start, or was killed while held).
  if (started.exit !== null) exited();
  else started.onExit = exited;

  let spawnError: string | null = null;
  try {
    const result = await subprocess;
    if (started.exit === null && result.failed) spawnError = firstLine(result.originalMessage ?? result.shortMessage ?? "");
  } catch (error) {
    spawnError = firstLine(error instanceof Error ? error.message : String(error));
  } finally {
    clearTimers();
    spec.signal?.removeEventListener("abort", onAbort);
  }
  await pump.idle();

  const finished = started.exit;
  return {
    exitCode: finished?.code ?? null,
    signal: finished?.signal ?? null,
    timedOut,
    cancelled,
    // From the release: the wait while held is the build's, not the script's.
    durationMs: Math.round(Math.max(0, (finished?.at ?? performance.now()) - startedAt)),
    error: spawnError ?? pump.error,
  };
}

async function directoryProblem(dir: string): Promise<string | null> {
  try {
    return (await stat(dir)).isDirectory() ? null : `${dir} is not a directory`;
  } catch (error) {
    return `cannot enter ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
}

function firstLine(text: string): string {
  let line = text.split("\n", 1)[0]?.trim() ?? "";
  // Node quotes an invalid option's value, and an environment value may be a secret.
  line = line.replace(/\s*Received .*$/, "");
  // Linux caps one argument at 128 KiB, and the script is one.
  if (/\bE2BIG\b/.test(line)) line = "the script is too long (at most 128 KiB)";
  return `could not start the script: ${line || "unknown error"}`;
}
