import { readFileSync } from "node:fs";
import { killProcessGroup } from "./process-group.js";

/**
 * Kills the script a dead process on this machine left running. A SIGKILLed server
 * cannot kill its children, and the re-queued attempt must not run beside them. The
 * group is killed only if its leader still carries this build's id in its environment,
 * so a recycled pid never takes an unrelated process with it.
 */
export function killOrphanedRun(processGroup: number, buildId: number): boolean {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${processGroup}/environ`, "utf8");
  } catch {
    return false;
  }
  if (!environ.split("\0").includes(`KICKOFF_BUILD_ID=${buildId}`)) return false;
  killProcessGroup(processGroup, "SIGKILL");
  return true;
}
