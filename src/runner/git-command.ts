import { execa } from "execa";
import { DEFAULT_PATH } from "./run-environment.js";

export interface GitOptions {
  cwd?: string;
  /** An empty directory used as HOME, so no ~/.gitconfig or credential store is read. */
  home: string;
  /** Added to the minimal environment (e.g. the token header for one fetch). */
  env?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

export type GitResult = { ok: true; stdout: string } | { ok: false; cancelled: boolean; timedOut: boolean; stderr: string; exitCode: number | null };

/**
 * Runs git with an argument array (no shell) in an environment built from scratch:
 * nothing of the server's environment, no system or global git config, no prompts, and
 * only the transports Kickoff clones over.
 */
export async function runGit(args: string[], options: GitOptions): Promise<GitResult> {
  const env: Record<string, string> = {
    PATH: process.env.PATH || DEFAULT_PATH,
    HOME: options.home,
    LANG: "C",
    LC_ALL: "C",
    GIT_TERMINAL_PROMPT: "0",
    GCM_INTERACTIVE: "never",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    // `ext::` and friends can run commands; a clone URL has no business using them.
    GIT_ALLOW_PROTOCOL: "file:http:https",
    ...options.env,
  };
  const result = await execa("git", args, {
    cwd: options.cwd,
    env,
    extendEnv: false,
    stdin: "ignore",
    reject: false,
    timeout: options.timeoutMs,
    cancelSignal: options.signal,
    forceKillAfterDelay: 2000,
    maxBuffer: 16 * 1024 * 1024,
    stripFinalNewline: true,
  });
  if (!result.failed) return { ok: true, stdout: result.stdout };
  return {
    ok: false,
    cancelled: result.isCanceled,
    timedOut: result.timedOut,
    stderr: result.stderr || result.originalMessage || result.shortMessage || "",
    exitCode: result.exitCode ?? null,
  };
}
