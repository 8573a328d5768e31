import os from "node:os";
import type { WorkerIdentity } from "../store/queue.js";

/**
 * A process's identity on the queue. `host` names the machine and data directory, so a
 * restarted process knows which abandoned builds were its own machine's; `id` adds the pid
 * and start time so two processes are never confused.
 */
export function workerIdentity(dataDir: string, startedAt = Date.now()): WorkerIdentity {
  const host = `${os.hostname()}:${dataDir}`;
  return { host, id: `${host}#${process.pid}#${startedAt.toString(36)}` };
}

/** The pid inside a worker id (or an id derived from one), if `workerIdentity` made it. */
export function workerPid(workerId: string): number | null {
  const match = /#(\d+)#[0-9a-z]+(\/.*)?$/.exec(workerId);
  return match ? Number(match[1]) : null;
}

/** Whether the process behind a claimer id (on this machine) is gone. */
export function claimerDead(claimer: string): boolean {
  const pid = workerPid(claimer);
  return pid !== null && pid !== process.pid && !processAlive(pid);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
