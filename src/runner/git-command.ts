import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import type { Writable } from "node:stream";
import { writeOrWait } from "../shared/write-or-wait.js";
import { GitLauncher, LauncherUnavailable } from "./git-launcher.js";
import { DEFAULT_PATH } from "./run-environment.js";

export interface GitOptions {
  cwd?: string;
  /** An empty directory used as HOME, so no ~/.gitconfig or credential store is read. */
  home: string;
  /** Added to the minimal environment (e.g. the token header for one fetch). */
  env?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Bytes for git's stdin (a pack, say), written with back-pressure. */
  stdin?: AsyncIterable<Uint8Array>;
  /** A file for git's stdin. */
  stdinFile?: string;
}

export type GitResult = { ok: true; stdout: string } | { ok: false; cancelled: boolean; timedOut: boolean; stderr: string; exitCode: number | null };

/** git prints little on these commands; more is cut rather than buffered without end. */
const MAX_OUTPUT = 16 * 1024 * 1024;
/** SIGTERM lets git remove its lock files; SIGKILL follows for one that hangs on. */
const KILL_GRACE_MS = 2000;

/**
 * Runs git with an argument array (no shell) in an environment built from scratch:
 * nothing of the server's environment, no system or global git config, no prompts, and
 * only the transports Kickoff clones over.
 *
 * git is started by a small helper process (git-launcher.ts) rather than by Node, whose
 * fork blocks the event loop for milliseconds in a process Kickoff's size; a command that
 * streams stdin is spawned directly, with Node's own spawn (execa's extra machinery costs
 * about 2 ms a call on the build's critical path).
 */
export async function runGit(args: string[], options: GitOptions): Promise<GitResult> {
  if (options.signal?.aborted) return failed(true, false, "", null);
  if (!options.stdin) {
    try {
      const r = await launcher().run({
        args,
        cwd: options.cwd,
        env: { HOME: options.home, ...options.env },
        stdinFile: options.stdinFile,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
      });
      if (r.code === 0 && !r.cancelled && !r.timedOut) return { ok: true, stdout: r.stdout.replace(/\n$/, "") };
      return failed(r.cancelled, r.timedOut, r.stderr || `git exited with ${r.code ?? "a signal"}`, r.code);
    } catch (error) {
      if (!(error instanceof LauncherUnavailable)) throw error;
      // A NUL in an argument (spawn refuses it the usual way), or no launcher to be had.
    }
  }
  return spawnGit(args, options);
}

/** git's environment beyond HOME: built from scratch, never copied from the server's. */
function gitEnvironment(): Record<string, string> {
  return {
    PATH: process.env.PATH || DEFAULT_PATH,
    LANG: "C",
    LC_ALL: "C",
    GIT_TERMINAL_PROMPT: "0",
    GCM_INTERACTIVE: "never",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    // `ext::` and friends can run commands; a clone URL has no business using them.
    GIT_ALLOW_PROTOCOL: "file:http:https",
  };
}

let shared: GitLauncher | null = null;

function launcher(): GitLauncher {
  if (shared === null) {
    const created = new GitLauncher(gitEnvironment());
    process.once("exit", () => created.dispose());
    shared = created;
  }
  return shared;
}

/** Streams stdin to git, so it is started here rather than through the launcher. */
function spawnGit(args: string[], options: GitOptions): Promise<GitResult> {
  const env: Record<string, string> = { ...gitEnvironment(), HOME: options.home, ...options.env };
  return new Promise((resolve) => {
    let stdinFd: number | null = null;
    try {
      if (!options.stdin && options.stdinFile) stdinFd = openSync(options.stdinFile, "r");
    } catch (error) {
      resolve(failed(false, false, `cannot read ${options.stdinFile}: ${(error as Error).message}`, null));
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn("git", args, { cwd: options.cwd, env, stdio: [options.stdin ? "pipe" : (stdinFd ?? "ignore"), "pipe", "pipe"] });
    } catch (error) {
      // A NUL byte in an argument, a value or the cwd: refused before anything ran.
      resolve(failed(false, false, `could not start git: ${error instanceof Error ? error.message : String(error)}`, null));
      return;
    } finally {
      if (stdinFd !== null) closeSync(stdinFd);
    }
    const stdout = collector();
    const stderr = collector();
    child.stdout?.on("data", stdout.push);
    child.stderr?.on("data", stderr.push);
    let cancelled = false;
    let timedOut = false;
    let spawnError: string | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    const terminate = () => {
      child.kill("SIGTERM");
      killTimer ??= setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS);
    };
    const onAbort = () => {
      cancelled = true;
      terminate();
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, options.timeoutMs);
    if (options.stdin && child.stdin) feed(child.stdin, options.stdin).catch((error: unknown) => (spawnError ??= `could not write to git: ${String(error)}`));
    child.once("error", (error) => (spawnError ??= error.message));
    child.once("close", (code) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", onAbort);
      if (code === 0 && !cancelled && !timedOut && spawnError === null) resolve({ ok: true, stdout: stdout.text().replace(/\n$/, "") });
      else resolve(failed(cancelled, timedOut, stderr.text() || spawnError || `git exited with ${code ?? "a signal"}`, code));
    });
  });
}

function failed(cancelled: boolean, timedOut: boolean, stderr: string, exitCode: number | null): GitResult {
  return { ok: false, cancelled, timedOut, stderr, exitCode };
}

function collector(): { push(chunk: Buffer): void; text(): string } {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk) {
      if (size >= MAX_OUTPUT) return;
      chunks.push(chunk);
      size += chunk.length;
    },
    text: () => Buffer.concat(chunks).toString("utf8"),
  };
}

async function feed(stdin: Writable, input: AsyncIterable<Uint8Array>): Promise<void> {
  // git may exit early (a corrupt pack): writes then fail with EPIPE, and its exit says why.
  stdin.on("error", () => undefined);
  try {
    for await (const chunk of input) {
      // git is gone: stop reading (and downloading) what nobody will take.
      if (stdin.destroyed) break;
      await writeOrWait(stdin, chunk);
    }
  } finally {
    stdin.end();
  }
}
