import { mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { cleanCloneUrl, isSafeRef, repositoryParts, validSha } from "./checkout-input.js";
import { redact } from "./git-auth.js";
import { runGit } from "./git-command.js";
import type { GitResult } from "./git-command.js";
import { ensureMirror, fetchIntoMirror } from "./mirror.js";
import type { MirrorStep } from "./mirror.js";
import { withMirrorLock } from "./mirror-lock.js";
import { removeTree } from "./remove-tree.js";

export interface CheckoutSpec {
  dataDir: string;
  /** owner/name */
  repository: string;
  cloneUrl: string;
  sha: string;
  /** e.g. refs/heads/main or refs/pull/7/head; fetched when the sha cannot be. */
  ref: string | null;
  token: string | null;
  signal?: AbortSignal;
}

/** `error` is one line, free of the token. */
export type CheckoutResult = { ok: true; dir: string; durationMs: number } | { ok: false; error: string };

const LOCAL_TIMEOUT_MS = 5 * 60_000;

/**
 * Checks `spec.sha` out, detached, into `workDir` (absent or empty). Objects come from a
 * bare mirror per repository under `dataDir/mirrors`, which only ever fetches what it
 * lacks.
 *
 * The work tree is a `git clone --shared` of the mirror rather than a `git worktree`: it
 * reads the mirror's objects but has its own config, refs and hooks, so nothing a build
 * does to its `.git` (say `git config core.hooksPath …` in a fork's pull request) can
 * reach the mirror and, through it, later builds.
 */
export async function checkout(spec: CheckoutSpec, workDir: string): Promise<CheckoutResult> {
  const startedAt = performance.now();
  const sha = validSha(spec.sha);
  if (sha === null) return fail("invalid commit sha (expected 40 hex digits)");
  if (spec.ref !== null && !isSafeRef(spec.ref)) return fail("invalid ref (expected refs/…)");
  const parts = repositoryParts(spec.repository);
  if (parts === null) return fail("invalid repository name (expected owner/name)");
  const cloneUrl = cleanCloneUrl(spec.cloneUrl);
  if (cloneUrl === null) return fail("invalid clone URL");
  const target = path.resolve(workDir);
  if (!(await isAbsentOrEmpty(target))) return fail("work directory is not empty");

  const dataDir = path.resolve(spec.dataDir);
  // An empty HOME: git must not read the server user's ~/.gitconfig or credentials.
  const home = path.join(dataDir, "git-home");
  await mkdir(home, { recursive: true });
  // GitHub names are case-insensitive; one mirror per repository, however spelled.
  const mirror = path.join(dataDir, "mirrors", parts[0].toLowerCase(), `${parts[1].toLowerCase()}.git`);
  const describe = (step: MirrorStep): string => describeMirrorFailure(step, sha, spec.ref, spec.token);

  const prepared = await withMirrorLock(mirror, async (): Promise<MirrorStep> => {
    if (spec.signal?.aborted) return { ok: false, step: "fetch", failure: cancelledFailure };
    const created = await ensureMirror(mirror, home, spec.signal);
    if (!created.ok) return created;
    return fetchIntoMirror({ mirror, home, cloneUrl, sha, ref: spec.ref, token: spec.token, signal: spec.signal });
  });
  if (!prepared.ok) return fail(describe(prepared));

  const git = (args: string[]) => runGit(args, { home, timeoutMs: LOCAL_TIMEOUT_MS, signal: spec.signal });
  const steps: Array<[string, string[]]> = [
    ["clone", ["clone", "--shared", "--no-checkout", "--quiet", mirror, target]],
    // The build sees where its code came from, never the mirror's path or a token.
    ["remote set-url", ["-C", target, "remote", "set-url", "origin", cloneUrl]],
    ["checkout", ["-C", target, "-c", "advice.detachedHead=false", "checkout", "--detach", "--quiet", sha, "--"]],
  ];
  for (const [name, args] of steps) {
    const result = await git(args);
    if (!result.ok) {
      await removeTree(target).catch(() => undefined);
      return fail(gitFailure(name, result, spec.token));
    }
  }
  return { ok: true, dir: target, durationMs: Math.round(performance.now() - startedAt) };
}

export async function removeWorkspace(dir: string): Promise<void> {
  await removeTree(dir);
}

const cancelledFailure: Extract<GitResult, { ok: false }> = { ok: false, cancelled: true, timedOut: false, stderr: "", exitCode: null };

function fail(error: string): CheckoutResult {
  return { ok: false, error };
}

function describeMirrorFailure(step: MirrorStep, sha: string, ref: string | null, token: string | null): string {
  if (step.ok) return "";
  if ("missing" in step) return `commit ${sha} not found${ref === null ? "" : ` (fetched ${ref})`}`;
  return gitFailure(step.step, step.failure, token);
}

function gitFailure(step: string, failure: Extract<GitResult, { ok: false }>, token: string | null): string {
  if (failure.cancelled) return "checkout cancelled";
  if (failure.timedOut) return `git ${step} timed out`;
  return `git ${step} failed: ${redact(reason(failure.stderr), token)}`;
}

// git's first `fatal:` line says what went wrong (later ones tend to be generic, like
// "Could not read from remote repository."); `error:` lines are the next best thing.
function reason(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  const pick = lines.find((line) => line.startsWith("fatal:")) ?? lines.find((line) => line.startsWith("error:")) ?? lines.at(-1) ?? "unknown error";
  const text = pick.replace(/^(fatal|error):\s*/, "").replace(/^remote error:\s*/, "");
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

async function isAbsentOrEmpty(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (error) {
    return typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT";
  }
}
