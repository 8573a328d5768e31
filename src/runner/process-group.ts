// A run's script leads its own process group (spawned detached, i.e. setsid), so one
// signal to the negative pid reaches everything it started, including background jobs.
// A process that calls setsid itself escapes this; only a cgroup or container could
// catch that, and Kickoff does not use one.

export type KillSignal = "SIGTERM" | "SIGKILL";

export function killProcessGroup(pid: number | undefined, signal: KillSignal): void {
  if (pid === undefined || pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch (error) {
    // ESRCH: the group is already empty. Anything else (EPERM) cannot be fixed here.
    if (!isErrno(error, "ESRCH") && !isErrno(error, "EPERM")) throw error;
  }
}

function isErrno(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === code;
}
