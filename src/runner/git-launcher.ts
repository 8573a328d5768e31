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
  // Output first: a stdin file that cannot be opened is then reported in the command's own stderr.
  '    ) >"$out/$id.1" 2>"$out/$id.2" <"${input:-/dev/null}" &',
  "    pid=$!",
  '    printf \'pid %s %s\\n\' "$id" "$pid"',
  '    wait "$pid"',
  "    status=$?",
  // Which of the two files hold anything, so empty ones are never read.
  '    o=0; e=0; [ -s "$out/$id.1" ] && o=1; [ -s "$out/$id.2" ] && e=1',
  '    printf \'exit %s %s %s %s\\n\' "$id" "$status" "$o" "$e"',
  // Not on the request pipe: once the helper is gone, nothing may read (and lose) requests.
  "  } </dev/null &",
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
  /** The request as sent, for a resend. */
  request: string;
  /** The helper the request went to. */
  helper: Helper;
  pid: number | null;
  kill: NodeJS.Signals | null;
  cancelled: boolean;
  timedOut: boolean;
}

/** One helper process and the commands it started. */
interface Helper {
  child: ChildProcess;
  pending: Map<number, Pending>;
  lineBuffer: string;
  /** The helper's own complaints, for when it dies. */
  errors: string;
}

const KILL_GRACE_MS = 2000;
const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class LauncherUnavailable extends Error {}

export class GitLauncher {
  /** The helper new commands go to; one that exited or was closed keeps its commands until their answers are in. */
  private current: Helper | null = null;
  private dir: string | null = null;
  private nextId = 1;

  /** `baseEnv` is what every git command gets (PATH and git's own settings). */
  constructor(private readonly baseEnv: Record<string, string>) {}

  run(request: LaunchRequest): Promise<LaunchResult> {
    for (const field of [...request.args, request.cwd ?? "", request.stdinFile ?? "", ...Object.entries(request.env).flat()]) {
      if (field.includes("\0")) return Promise.reject(new LauncherUnavailable("an argument holds a NUL byte"));
    }
    for (const name of Object.keys(request.env)) {
      if (!VALID_NAME.test(name)) return Promise.reject(new LauncherUnavailable(`invalid environment name ${name}`));
    }
    const helper = this.started();
    const id = this.nextId++;
    const env = Object.entries(request.env).map(([k, v]) => `${k}=${v}`);
    const fields = [String(id), request.cwd ?? "", request.stdinFile ?? "", String(env.length), ...env, String(request.args.length), ...request.args];
    return new Promise<LaunchResult>((resolve) => {
      const entry: Pending = { resolve, request: `${fields.join("\0")}\0`, helper, pid: null, kill: null, cancelled: false, timedOut: false };
      let killTimer: NodeJS.Timeout | undefined;
      const terminate = () => {
        signal(entry, "SIGTERM");
        killTimer ??= setTimeout(() => signal(entry, "SIGKILL"), KILL_GRACE_MS);
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
        entry.helper.pending.delete(id);
        if (entry.helper.pending.size === 0) setRef(entry.helper, false);
        resolve(result);
      };
      send(id, entry, helper);
      if (request.signal?.aborted) onAbort();
    });
  }

  /**
   * Ends the helper once its commands are done; a later command starts a new one. The
   * commands' waiting subshells outlive the helper's main loop and still answer.
   */
  close(): void {
    this.current?.child.stdin?.end();
    this.current = null;
  }

  private started(): Helper {
    if (this.current) return this.current;
    try {
      this.dir ??= answerDirectory();
    } catch (error) {
      // No room in the temporary directory, say: git is started the plain way meanwhile.
      throw new LauncherUnavailable(`no directory for the git launcher: ${error instanceof Error ? error.message : String(error)}`);
    }
    const child = spawn(BASH, ["--noprofile", "--norc", "-c", HELPER, "kickoff-git-launcher", this.dir], { env: this.baseEnv, stdio: ["pipe", "pipe", "pipe"] });
    const helper: Helper = { child, pending: new Map(), lineBuffer: "", errors: "" };
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (text: string) => this.onOutput(helper, text));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (text: string) => (helper.errors = (helper.errors + text).slice(-2000)));
    child.stdin!.on("error", () => undefined);
    const gone = (why: string) => {
      if (this.current === helper) this.current = null;
      return why;
    };
    child.once("error", (error) => this.abandon(helper, gone(`could not start the git launcher: ${error.message}`)));
    child.once("exit", (code, sig) => {
      const why = gone(`the git launcher exited (${sig ?? code})`);
      // Nobody reads requests any more: those not yet acknowledged go to a successor.
      this.resendUnstarted(helper);
      // Its stdout closes once the last waiting subshell has answered; whatever is still
      // pending then will never be answered.
      if (child.stdout!.closed) this.abandon(helper, why);
      else child.stdout!.once("close", () => this.abandon(helper, why));
    });
    this.current = helper;
    return helper;
  }

  private onOutput(helper: Helper, text: string): void {
    helper.lineBuffer += text;
    for (let nl = helper.lineBuffer.indexOf("\n"); nl >= 0; nl = helper.lineBuffer.indexOf("\n")) {
      const [kind, id, value, hasOut, hasErr] = helper.lineBuffer.slice(0, nl).split(" ");
      helper.lineBuffer = helper.lineBuffer.slice(nl + 1);
      const entry = helper.pending.get(Number(id));
      if (!entry) continue;
      if (kind === "pid") {
        entry.pid = Number(value);
        if (entry.kill) signal(entry, entry.kill);
      } else if (kind === "exit") {
        entry.pid = null;
        // Answered: no longer the helper's to fail, while its output is read.
        helper.pending.delete(Number(id));
        void this.finish(Number(id), entry, Number(value), hasOut === "1", hasErr === "1");
      }
    }
  }

  private async finish(id: number, entry: Pending, status: number, hasOut: boolean, hasErr: boolean): Promise<void> {
    const files = this.answerFiles(id);
    const read = (file: string, holds: boolean) => (holds ? readFile(file, "utf8").catch(() => "") : Promise.resolve(""));
    const [stdout, stderr] = await Promise.all([read(files[0], hasOut), read(files[1], hasErr)]);
    for (const f of files) void unlink(f).catch(() => undefined);
    // bash reports a process killed by signal N as 128 + N.
    const code = status > 128 && (entry.kill !== null || entry.cancelled || entry.timedOut) ? null : status;
    entry.resolve({ code, stdout, stderr, cancelled: entry.cancelled, timedOut: entry.timedOut });
  }

  /**
   * Requests a helper that is gone never acknowledged (no pid line: sent as it died, say)
   * go to its successor. A request read in the instant before the helper died could run
   * twice this way; every git command Kickoff sends may be repeated.
   */
  private resendUnstarted(helper: Helper): void {
    for (const [id, entry] of [...helper.pending]) {
      if (entry.pid !== null || entry.kill !== null) continue;
      try {
        helper.pending.delete(id);
        send(id, entry, this.started());
      } catch {
        // No successor to be had: the entry fails with the helper's other ones.
        helper.pending.set(id, entry);
      }
    }
  }

  /** Fails what a helper can no longer answer; a git it started must not run on unobserved. */
  private abandon(helper: Helper, why: string): void {
    for (const [id, entry] of [...helper.pending]) {
      helper.pending.delete(id);
      if (entry.pid !== null) signal(entry, "SIGKILL");
      for (const f of this.answerFiles(id)) void unlink(f).catch(() => undefined);
      entry.resolve({ code: null, stdout: "", stderr: `${why}${helper.errors ? `: ${helper.errors.trim()}` : ""}`, cancelled: entry.cancelled, timedOut: entry.timedOut });
    }
    setRef(helper, false);
  }

  private answerFiles(id: number): [string, string] {
    return [path.join(this.dir!, `${id}.1`), path.join(this.dir!, `${id}.2`)];
  }

  /** Ends the helper and removes the answer directory (at process exit). */
  dispose(): void {
    this.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}

function send(id: number, entry: Pending, helper: Helper): void {
  entry.helper = helper;
  helper.pending.set(id, entry);
  setRef(helper, true);
  helper.child.stdin!.write(entry.request);
}

function signal(entry: Pending, sig: NodeJS.Signals): void {
  entry.kill = sig;
  if (entry.pid === null) return;
  try {
    process.kill(entry.pid, sig);
  } catch {
    // It ended meanwhile; its exit line is on the way.
  }
}

// Idle, a helper must not keep a finished `kickoff run` (or a test) alive.
function setRef(helper: Helper, ref: boolean): void {
  const { child } = helper;
  const streams = [child.stdin, child.stdout, child.stderr] as Array<{ ref?(): void; unref?(): void } | null>;
  if (ref) {
    child.ref();
    for (const s of streams) s?.ref?.();
  } else {
    child.unref();
    for (const s of streams) s?.unref?.();
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
