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

/** The pid inside a worker id, if the id was made by `workerIdentity`. */
export function workerPid(workerId: string): number | null {
  const match = /#(\d+)#[0-9a-z]+$/.exec(workerId);
  return match ? Number(match[1]) : null;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
