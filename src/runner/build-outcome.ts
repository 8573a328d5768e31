import { formatDuration } from "../config/duration.js";
import type { BuildOutcome } from "../store/queue.js";
import type { ProcessResult } from "./run-process.js";

/** The check run's conclusion and title for a finished process. */
export function processOutcome(result: ProcessResult, timeoutMs: number, cancelReason: string | null): Pick<BuildOutcome, "conclusion" | "title" | "exitCode"> {
  const took = formatDuration(result.durationMs);
  if (result.cancelled) return { conclusion: "cancelled", title: cancelReason ?? `Cancelled after ${took}`, exitCode: result.exitCode };
  if (result.timedOut) return { conclusion: "timed_out", title: `Timed out after ${formatDuration(timeoutMs)}`, exitCode: result.exitCode };
  if (result.error !== null) return { conclusion: "failure", title: `Could not run the script: ${result.error}`.slice(0, 255), exitCode: null };
  if (result.exitCode === 0) return { conclusion: "success", title: `Passed in ${took}`, exitCode: 0 };
  if (result.exitCode === null) return { conclusion: "failure", title: `Failed (killed by ${result.signal ?? "a signal"}) in ${took}`, exitCode: null };
  return { conclusion: "failure", title: `Failed (exit ${result.exitCode}) in ${took}`, exitCode: result.exitCode };
}
