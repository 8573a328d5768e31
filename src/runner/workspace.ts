import { access, mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { cleanCloneUrl, isSafeRef, repositoryParts, validSha } from "./checkout-input.js";
import { redact } from "./git-auth.js";
import { runGit } from "./git-command.js";
import type { GitResult } from "./git-command.js";
import { ensureMirror, fetchIntoMirror, forgetMirror, prepareOrigin } from "./mirror.js";
import type { MirrorStep } from "./mirror.js";
import { withMirrorLock } from "./mirror-lock.js";
import { removeTree } from "./remove-tree.js";
import { copySkeleton } from "./work-tree-skeleton.js";

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
  /** Told why the fast fetch gave way to `git fetch` (worth a log line, not a failure). */
  onFallback?(why: string): void;
  /**
   * Settles once the work directory's parent exists and is the caller's to fill (true), or
   * can never be (false): the fetch starts at once, the work tree only after this.
   */
  ready?: Promise<boolean>;
}

/** `error` is one line, free of the token. */
export type CheckoutResult = { ok: true; dir: string; durationMs: number } | { ok: false; error: string };

const LOCAL_TIMEOUT_MS = 5 * 60_000;

/**
 * Checks `spec.sha` out, detached, into `workDir` (absent or empty). Objects come from a
 * bare mirror per repository under `dataDir/mirrors`, which only ever fetches what it
 * lacks.
 *
 * The work tree is a repository of its own that borrows the mirror's objects (git's
 * alternates, as `git clone --shared` sets up) rather than a `git worktree`: it has its
 * own config, refs and hooks, so nothing a build does to its `.git` (say `git config
 * core.hooksPath …` in a fork's pull request) can reach the mirror and, through it, later
 * builds. Its `.git` is a copy of one `git init` made for the mirror (work-tree-skeleton.ts)
 * rather than a `git clone`, which would start a transport and an upload-pack process only
 * to copy refs the build never uses.
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
  const dataDir = path.resolve(spec.dataDir);
  // An empty HOME: git must not read the server user's ~/.gitconfig or credentials.
  const home = path.join(dataDir, "git-home");
  await ensureDirectory(home);
  const where: Where = {
    target: path.resolve(workDir),
    home,
    // GitHub names are case-insensitive; one mirror per repository, however spelled.
    mirror: path.join(dataDir, "mirrors", parts[0].toLowerCase(), `${parts[1].toLowerCase()}.git`),
    cloneUrl,
    sha,
  };
  let error = await checkoutOnce(spec, where);
  if (error !== null) {
    // Whatever this process believed of the mirror is suspect now, and a mirror removed
    // behind its back (a disk cleaned up, say) is made afresh at once.
    forgetMirror(where.mirror);
    if (!spec.signal?.aborted && !(await exists(path.join(where.mirror, "HEAD")))) error = await checkoutOnce(spec, where);
  }
  return error === null ? { ok: true, dir: where.target, durationMs: Math.round(performance.now() - startedAt) } : fail(error);
}

interface Where {
  target: string;
  home: string;
  mirror: string;
  cloneUrl: string;
  sha: string;
}

/** One try; null when the commit is checked out, else the one-line reason. */
async function checkoutOnce(spec: CheckoutSpec, { target, home, mirror, cloneUrl, sha }: Where): Promise<string | null> {
  const git = (args: string[]) => runGit(args, { home, timeoutMs: LOCAL_TIMEOUT_MS, signal: spec.signal });
  // The work tree is made while the commit is still on its way: the fetch waits on the
  // network, the work tree's `.git` needs only the mirror's skeleton.
  let skeletonFor: (gitDir: string | null) => void = () => {};
  const skeleton = new Promise<string | null>((resolve) => (skeletonFor = resolve));
  const fetched = withMirrorLock(mirror, async (hold): Promise<MirrorStep> => {
    try {
      if (spec.signal?.aborted) return { ok: false, step: "fetch", failure: cancelledFailure };
      const created = await ensureMirror(mirror, home, spec.signal);
      if (!created.ok) return created;
      const origin = await prepareOrigin(mirror, home, cloneUrl, spec.signal);
      if (!origin.ok) return origin;
      skeletonFor(origin.skeleton);
      return await fetchIntoMirror({ mirror, home, cloneUrl, sha, ref: spec.ref, token: spec.token, signal: spec.signal, onFallback: spec.onFallback, hold });
    } finally {
      skeletonFor(null);
    }
  });
  const tree = skeleton.then(async (gitDir): Promise<string | null> => {
    if (gitDir === null) return null;
    if (!(await (spec.ready ?? Promise.resolve(true)))) return null;
    if (!(await isAbsentOrEmpty(target))) return "work directory is not empty";
    try {
      await copySkeleton(gitDir, target);
      return null;
    } catch (error) {
      return `cannot create the work tree: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
    }
  });
  const [prepared, treeError] = await Promise.all([fetched, tree]);
  const failure = !prepared.ok ? describeMirrorFailure(prepared, sha, spec.ref, spec.token) : treeError;
  if (failure === null && (await (spec.ready ?? Promise.resolve(true)))) {
    const result = await git(["-C", target, "-c", "advice.detachedHead=false", "checkout", "--detach", "--quiet", sha, "--"]);
    if (result.ok) return null;
    await removeTree(target).catch(() => undefined);
    return gitFailure("checkout", result, spec.token);
  }
  // Only what this call made goes: a directory that was there (and not empty) stays.
  if (treeError !== "work directory is not empty") await removeTree(target).catch(() => undefined);
  return failure ?? "the workspace could not be prepared";
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

// Made once per process: every file system call before the fetch goes out delays it.
const madeDirectories = new Set<string>();

async function ensureDirectory(dir: string): Promise<void> {
  if (madeDirectories.has(dir)) return;
  await mkdir(dir, { recursive: true });
  madeDirectories.add(dir);
}

async function isAbsentOrEmpty(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (error) {
    return typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT";
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
