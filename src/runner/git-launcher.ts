import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { readFile, unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { BASH } from "./bash.js";
import { processAlive } from "./worker-identity.js";

// Node 20 starts a child process with fork(), which copies the parent's page tables: in a
// Kickoff server of ~140 MB that blocks the event loop for 4–8 ms per process, and a
// checkout runs several git commands. A small long-lived bash forks in well under a
// millisecond, so git commands are started by it instead: Kickoff writes a request to its
// stdin and reads the pid and, later, the exit status from its stdout.
//
// Requests are NUL-separated fields (no field can hold a NUL: execve could not pass one):
//   id, cwd ("" = the helper's), stdin file ("" = /dev/null), env count, NAME=VALUE…,
//   arg count, args…
// Answers are lines: `pid <id> <pid>` once git runs, `exit <id> <status> <o> <e>` when it
// ended, its stdout and stderr then complete in files <dir>/<id>.1 and <dir>/<id>.2 (o and
// e say whether each holds anything).
// It only ever runs `git`, and arguments reach it as an array, never as shell text.
const HELPER = [
  "out=$1",
  "while IFS= read -r -d '' id && IFS= read -r -d '' dir && IFS= read -r -d '' input && IFS= read -r -d '' n; do",
  "  env=()",
  "  for ((i = 0; i < n; i++)); do IFS= read -r -d '' v || exit 0; env+=(\"$v\"); done",
  "  IFS= read -r -d '' n || exit 0",
  "  args=()",
  "  for ((i = 0; i < n; i++)); do IFS= read -r -d '' v || exit 0; args+=(\"$v\"); done",
  "  {",
  "    (",
  '      if [ -n "$dir" ]; then cd -- "$dir" || exit 128; fi',
  '      if ((${#env[@]})); then export -- "${env[@]}"; fi',
  '      exec git "${args[@]}"',
  '    ) <"${input:-/dev/null}" >"$out/$id.1" 2>"$out/$id.2" &',
  "    pid=$!",
  '    printf \'pid %s %s\\n\' "$id" "$pid"',
  '    wait "$pid"',
  "    status=$?",
  // Which of the two files hold anything, so empty ones are never read.
  '    o=0; e=0; [ -s "$out/$id.1" ] && o=1; [ -s "$out/$id.2" ] && e=1',
  '    printf \'exit %s %s %s %s\\n\' "$id" "$status" "$o" "$e"',
  "  } &",
  "done",
].join("\n");

export interface LaunchRequest {
  args: string[];
  cwd?: string;
  /** The whole environment git gets beyond the helper's (HOME and the like). */
  env: Record<string, string>;
  stdinFile?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface LaunchResult {
  /** null when git was killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
  cancelled: boolean;
  timedOut: boolean;
}

interface Pending {
  resolve(result: LaunchResult): void;
  pid: number | null;
  kill: NodeJS.Signals | null;
  cancelled: boolean;
  timedOut: boolean;
}

const KILL_GRACE_MS = 2000;
const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class LauncherUnavailable extends Error {}

export class GitLauncher {
  private child: ChildProcess | null = null;
  private dir: string | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private lineBuffer = "";
  private helperErrors = "";

  /** `baseEnv` is what every git command gets (PATH and git's own settings). */
  constructor(private readonly baseEnv: Record<string, string>) {}

  run(request: LaunchRequest): Promise<LaunchResult> {
    for (const field of [...request.args, request.cwd ?? "", request.stdinFile ?? "", ...Object.entries(request.env).flat()]) {
      if (field.includes("\0")) return Promise.reject(new LauncherUnavailable("an argument holds a NUL byte"));
    }
    for (const name of Object.keys(request.env)) {
      if (!VALID_NAME.test(name)) return Promise.reject(new LauncherUnavailable(`invalid environment name ${name}`));
    }
    const child = this.started();
    const id = this.nextId++;
    const env = Object.entries(request.env).map(([k, v]) => `${k}=${v}`);
    const fields = [String(id), request.cwd ?? "", request.stdinFile ?? "", String(env.length), ...env, String(request.args.length), ...request.args];
    return new Promise<LaunchResult>((resolve) => {
      const entry: Pending = { resolve, pid: null, kill: null, cancelled: false, timedOut: false };
      let killTimer: NodeJS.Timeout | undefined;
      const terminate = () => {
        this.signal(entry, "SIGTERM");
        killTimer ??= setTimeout(() => this.signal(entry, "SIGKILL"), KILL_GRACE_MS);
      };
      const onAbort = () => {
        entry.cancelled = true;
        terminate();
      };
      const timer = setTimeout(() => {
        entry.timedOut = true;
        terminate();
      }, request.timeoutMs);
      request.signal?.addEventListener("abort", onAbort, { once: true });
      entry.resolve = (result) => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        request.signal?.removeEventListener("abort", onAbort);
        this.pending.delete(id);
        if (this.pending.size === 0) this.setRef(false);
        resolve(result);
      };
      this.pending.set(id, entry);
      this.setRef(true);
      child.stdin!.write(`${fields.join("\0")}\0`);
      if (request.signal?.aborted) onAbort();
    });
  }

  /** Ends the helper; commands still running are left to finish. */
  close(): void {
    this.child?.stdin?.end();
    this.child = null;
  }

  private started(): ChildProcess {
    if (this.child) return this.child;
    this.dir ??= answerDirectory();
    const dir = this.dir;
    const child = spawn(BASH, ["--noprofile", "--norc", "-c", HELPER, "kickoff-git-launcher", dir], { env: this.baseEnv, stdio: ["pipe", "pipe", "pipe"] });
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (text: string) => this.onOutput(text));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (text: string) => (this.helperErrors = (this.helperErrors + text).slice(-2000)));
    child.stdin!.on("error", () => undefined);
    child.once("error", (error) => this.onExit(child, `could not start the git launcher: ${error.message}`));
    child.once("exit", (code, signal) => this.onExit(child, `the git launcher exited (${signal ?? code})`));
    this.child = child;
    this.setRef(this.pending.size > 0);
    return child;
  }

  private onOutput(text: string): void {
    this.lineBuffer += text;
    for (let nl = this.lineBuffer.indexOf("\n"); nl >= 0; nl = this.lineBuffer.indexOf("\n")) {
      const [kind, id, value, hasOut, hasErr] = this.lineBuffer.slice(0, nl).split(" ");
      this.lineBuffer = this.lineBuffer.slice(nl + 1);
      const entry = this.pending.get(Number(id));
      if (!entry) continue;
      if (kind === "pid") {
        entry.pid = Number(value);
        if (entry.kill) this.signal(entry, entry.kill);
      } else if (kind === "exit") {
        entry.pid = null;
        void this.finish(Number(id), entry, Number(value), hasOut === "1", hasErr === "1");
      }
    }
  }

  private async finish(id: number, entry: Pending, status: number, hasOut: boolean, hasErr: boolean): Promise<void> {
    const dir = this.dir!;
    const files = [path.join(dir, `${id}.1`), path.join(dir, `${id}.2`)] as const;
    const read = (file: string, holds: boolean) => (holds ? readFile(file, "utf8").catch(() => "") : Promise.resolve(""));
    const [stdout, stderr] = await Promise.all([read(files[0], hasOut), read(files[1], hasErr)]);
    for (const f of files) void unlink(f).catch(() => undefined);
    // bash reports a process killed by signal N as 128 + N.
    const code = status > 128 && (entry.kill !== null || entry.cancelled || entry.timedOut) ? null : status;
    entry.resolve({ code, stdout: stdout ?? "", stderr: stderr || (status !== 0 ? this.helperErrors.trim() : ""), cancelled: entry.cancelled, timedOut: entry.timedOut });
  }

  private onExit(child: ChildProcess, why: string): void {
    if (this.child === child) this.child = null;
    for (const [, entry] of this.pending) {
      if (entry.pid !== null) {
        // A git whose exit can no longer be reported must not run on unobserved.
        try {
          process.kill(entry.pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      entry.resolve({ code: null, stdout: "", stderr: `${why}${this.helperErrors ? `: ${this.helperErrors.trim()}` : ""}`, cancelled: entry.cancelled, timedOut: entry.timedOut });
    }
  }

  private signal(entry: Pending, signal: NodeJS.Signals): void {
    entry.kill = signal;
    if (entry.pid === null) return;
    try {
      process.kill(entry.pid, signal);
    } catch {
      // It ended meanwhile; its exit line is on the way.
    }
  }

  // Idle, the helper must not keep a finished `kickoff run` (or a test) alive.
  private setRef(ref: boolean): void {
    const child = this.child;
    if (!child) return;
    const streams = [child.stdin, child.stdout, child.stderr] as Array<{ ref?(): void; unref?(): void } | null>;
    if (ref) {
      child.ref();
      for (const s of streams) s?.ref?.();
    } else {
      child.unref();
      for (const s of streams) s?.unref?.();
    }
  }

  /** Removes the answer directory (at process exit). */
  dispose(): void {
    this.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}

/**
 * A private directory for the answers, named after this process; one a killed process
 * left behind (its pid gone) is removed on the way.
 */
function answerDirectory(): string {
  const tmp = os.tmpdir();
  for (const name of readdirSync(tmp)) {
    const pid = Number(/^kickoff-git-(\d+)-/.exec(name)?.[1]);
    if (!(pid > 0 && pid !== process.pid && !processAlive(pid))) continue;
    try {
      rmSync(path.join(tmp, name), { recursive: true, force: true });
    } catch {
      // Another user's, say: not ours to remove.
    }
  }
  return mkdtempSync(path.join(tmp, `kickoff-git-${process.pid}-`));
}
