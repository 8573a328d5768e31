import type { Readable } from "node:stream";
import { execa } from "execa";
import { BASH } from "./bash.js";
import { killProcessGroup } from "./process-group.js";
import type { KillSignal } from "./process-group.js";
import { OutputPump } from "./output-pump.js";

export interface ProcessSpec {
  /** The pipeline's `run`, executed by `bash -eo pipefail -c`. */
  script: string;
  cwd: string;
  /** The complete environment: nothing is inherited from process.env. */
  env: Record<string, string>;
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
  /** Told the process group id once the script started (it leads its own group). */
  onSpawn?(processGroup: number): void;
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
// fd 2 at fd 1 and execs the real `bash -eo pipefail -c`. The script travels as an
// argument ($1), never spliced into the command text.
const MERGE_AND_RUN = 'exec 2>&1 && exec "$0" -eo pipefail -c "$1"';

export async function runProcess(spec: ProcessSpec): Promise<ProcessResult> {
  const startedAt = performance.now();
  if (spec.signal?.aborted) {
    return { exitCode: null, signal: null, timedOut: false, cancelled: true, durationMs: 0, error: null };
  }

  const subprocess = execa(BASH, ["-c", MERGE_AND_RUN, BASH, spec.script], {
    cwd: spec.cwd,
    env: spec.env,
    extendEnv: false,
    detached: true,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    buffer: false,
    encoding: "buffer",
    reject: false,
    stripFinalNewline: false,
  });
  const pid = subprocess.pid;
  if (pid !== undefined) spec.onSpawn?.(pid);
  const streams = [subprocess.stdout, subprocess.stderr].filter((s): s is Readable => s !== null);
  const pump = new OutputPump(streams, (chunk) => spec.onOutput(chunk));

  let timedOut = false;
  let cancelled = false;
  let exit = null as ExitInfo | null;
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
    if (terminating || exit !== null) return;
    terminating = true;
    signalGroup("SIGTERM");
    later(spec.killGraceMs ?? DEFAULT_KILL_GRACE_MS, () => signalGroup("SIGKILL"));
  };
  const signalGroup = (signal: KillSignal): void => killProcessGroup(pid, signal);

  const onAbort = (): void => {
    if (exit !== null || timedOut) return;
    cancelled = true;
    terminate();
  };
  spec.signal?.addEventListener("abort", onAbort, { once: true });
  if (pid !== undefined) {
    later(spec.timeoutMs, () => {
      if (exit !== null || cancelled) return;
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

  subprocess.once("exit", (code: number | null, signal: NodeJS.Signals | null) => {
    exit = { code, signal, at: performance.now() };
    clearTimers();
    // Background jobs (`server &`) must not outlive the script, nor keep its pipes open.
    signalGroup("SIGKILL");
    watchDrain();
  });

  let spawnError: string | null = null;
  try {
    const result = await subprocess;
    if (exit === null && result.failed) spawnError = firstLine(result.originalMessage ?? result.shortMessage ?? "");
  } catch (error) {
    spawnError = firstLine(error instanceof Error ? error.message : String(error));
  } finally {
    clearTimers();
    spec.signal?.removeEventListener("abort", onAbort);
  }
  await pump.idle();

  const finished = exit;
  return {
    exitCode: finished?.code ?? null,
    signal: finished?.signal ?? null,
    timedOut,
    cancelled,
    durationMs: Math.round((finished?.at ?? performance.now()) - startedAt),
    error: spawnError ?? pump.error,
  };
}

function firstLine(text: string): string {
  let line = text.split("\n", 1)[0]?.trim() ?? "";
  // Node quotes an invalid option's value, and an environment value may be a secret.
  line = line.replace(/\s*Received .*$/, "");
  // Linux caps one argument at 128 KiB, and the script is one.
  if (/\bE2BIG\b/.test(line)) line = "the script is too long (at most 128 KiB)";
  return `could not start the script: ${line || "unknown error"}`;
}
