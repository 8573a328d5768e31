import { execFile, spawn } from "node:child_process";

// Every git process the stand-in starts sees the same minimal environment, so a
// developer's ~/.gitconfig (signing, hooks, init.defaultBranch) or GIT_DIR leaking in
// from an outer hook cannot change results.
export const FIXED_IDENTITY = {
  GIT_AUTHOR_NAME: "Stand-in Author",
  GIT_AUTHOR_EMAIL: "author@stand-in.test",
  GIT_COMMITTER_NAME: "Stand-in Committer",
  GIT_COMMITTER_EMAIL: "committer@stand-in.test",
} as const;

/** 2024-01-01T00:00:00Z; commits are spaced one second apart from here. */
export const BASE_EPOCH = 1704067200;

export function gitEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    LANG: "C",
    LC_ALL: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    ...FIXED_IDENTITY,
    ...extra,
  };
}

export class GitError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export interface GitRun {
  cwd: string;
  home: string;
  env?: Record<string, string>;
  input?: string | Buffer;
}

/** Runs git without a shell; rejects with GitError on a non-zero exit. */
export function git(args: string[], o: GitRun): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (o.input === undefined) {
      execFile("git", args, { cwd: o.cwd, env: gitEnv(o.home, o.env), encoding: "buffer", maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) {
          const code = typeof err.code === "number" ? err.code : null;
          reject(new GitError(`git ${args[0] ?? ""} failed: ${stderr.toString().trim()}`, code, stderr.toString()));
        } else {
          resolve(stdout);
        }
      });
      return;
    }
    // execFile cannot feed stdin, and fast-import needs its stream there.
    const child = spawn("git", args, { cwd: o.cwd, env: gitEnv(o.home, o.env) });
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => errOut.push(c));
    child.on("error", reject);
    child.on("close", (code) => {
      const stderr = Buffer.concat(errOut).toString();
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new GitError(`git ${args[0] ?? ""} failed: ${stderr.trim()}`, code, stderr));
    });
    child.stdin.on("error", () => {
      // A failing git closes stdin early; the exit code reports the real problem.
    });
    child.stdin.end(o.input);
  });
}

export async function gitText(args: string[], o: GitRun): Promise<string> {
  return (await git(args, o)).toString("utf8").trim();
}

/** Resolves a commit-ish to a full sha, or undefined when it does not exist. */
export async function resolveCommit(ref: string, o: GitRun): Promise<string | undefined> {
  // A ref starting with "-" would be read as an option.
  if (ref === "" || ref.startsWith("-")) return undefined;
  try {
    return await gitText(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], o);
  } catch {
    return undefined;
  }
}
