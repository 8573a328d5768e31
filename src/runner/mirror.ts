import { randomBytes } from "node:crypto";
import { access, mkdir, rename } from "node:fs/promises";
import path from "node:path";
import { tokenEnvironment } from "./git-auth.js";
import { forgetTips, nativeFetch, nativeFetchApplies, rememberTip } from "./native-fetch.js";
import { runGit } from "./git-command.js";
import type { GitResult } from "./git-command.js";
import { removeTree } from "./remove-tree.js";
import { workTreeSkeleton } from "./work-tree-skeleton.js";

const FETCH_TIMEOUT_MS = 10 * 60_000;
const LOCAL_TIMEOUT_MS = 2 * 60_000;

export interface MirrorFetch {
  mirror: string;
  home: string;
  /** Token-free. */
  cloneUrl: string;
  sha: string;
  ref: string | null;
  token: string | null;
  signal?: AbortSignal;
  /** Told why the fast path (native-fetch.ts) gave way to `git fetch`. */
  onFallback?(why: string): void;
  /** Keeps the mirror's lock for work that goes on after the result (see withMirrorLock). */
  hold?: (pending: Promise<unknown>) => void;
}

export type MirrorStep = { ok: true } | { ok: false; step: string; failure: Extract<GitResult, { ok: false }> } | { ok: false; missing: true };

/**
 * Mirrors this process knows to exist, so a build's fetch goes out without first asking
 * the file system. A failed checkout forgets what it knew of its mirror (forgetMirror), so
 * one removed behind Kickoff's back is made again.
 */
const knownMirrors = new Set<string>();

export function forgetMirror(mirror: string): void {
  knownMirrors.delete(mirror);
  knownOrigins.delete(mirror);
  for (const key of present.keys()) if (key.startsWith(`${mirror}\0`)) present.delete(key);
  forgetTips(mirror);
}

/** Creates the bare mirror if needed. Safe against another process doing the same. */
export async function ensureMirror(mirror: string, home: string, signal?: AbortSignal): Promise<MirrorStep> {
  if (knownMirrors.has(mirror)) return { ok: true };
  const made = await makeMirror(mirror, home, signal);
  if (made.ok) knownMirrors.add(mirror);
  return made;
}

async function makeMirror(mirror: string, home: string, signal?: AbortSignal): Promise<MirrorStep> {
  if (await exists(path.join(mirror, "HEAD"))) return { ok: true };
  await mkdir(path.dirname(mirror), { recursive: true });
  // Built aside and renamed into place, so nobody ever sees a half-initialised mirror.
  const staging = `${mirror}.${randomBytes(6).toString("hex")}.tmp`;
  const git = (args: string[]) => runGit(args, { home, timeoutMs: LOCAL_TIMEOUT_MS, signal });
  try {
    for (const args of [
      ["init", "--bare", "--quiet", staging],
      // gc inside the fetch (under our lock), not detached and racing the next fetch.
      ["-C", staging, "config", "gc.autoDetach", "false"],
    ]) {
      const result = await git(args);
      if (!result.ok) return { ok: false, step: "init", failure: result };
    }
    try {
      await rename(staging, mirror);
    } catch (error) {
      // Another process created it first: theirs is as good as ours.
      if (!(await exists(path.join(mirror, "HEAD")))) throw error;
    }
    return { ok: true };
  } finally {
    await removeTree(staging).catch(() => undefined);
  }
}

/** The mirror's origin as this process last wrote or read it, and the work tree skeleton made for it. */
const knownOrigins = new Map<string, { cloneUrl: string; skeleton: string }>();

/**
 * Points the mirror's origin at `cloneUrl` and returns the `.git` that new work trees of
 * this mirror are copied from (work-tree-skeleton.ts). The URL can change (a
 * renamed repository, a moved GitHub Enterprise host); it is written only when it did,
 * since every write takes the config file's lock, and remembered per process, since every
 * git process costs milliseconds of a build's start.
 */
export async function prepareOrigin(
  mirror: string,
  home: string,
  cloneUrl: string,
  signal?: AbortSignal,
): Promise<{ ok: true; skeleton: string } | Extract<MirrorStep, { step: string }>> {
  const known = knownOrigins.get(mirror);
  if (known?.cloneUrl === cloneUrl) return { ok: true, skeleton: known.skeleton };
  const git = (args: string[]) => retryWhileLocked(() => runGit(args, { home, timeoutMs: LOCAL_TIMEOUT_MS, signal }));
  const current = await git(["-C", mirror, "config", "--get", "remote.origin.url"]);
  if (!current.ok || current.stdout !== cloneUrl) {
    const setUrl = await git(["-C", mirror, "config", "remote.origin.url", cloneUrl]);
    if (!setUrl.ok) return { ok: false, step: "config", failure: setUrl };
  }
  const skeleton = await workTreeSkeleton(mirror, home, cloneUrl, signal);
  if (!skeleton.ok) return skeleton;
  knownOrigins.set(mirror, { cloneUrl, skeleton: skeleton.gitDir });
  return { ok: true, skeleton: skeleton.gitDir };
}

/**
 * Commits this process fetched or found in a mirror lately, so a re-run or a second
 * pipeline of the same commit goes straight to its checkout. An hour is far inside gc's
 * two weeks of grace for unreferenced objects, so what is remembered is still there.
 */
const PRESENT_FOR_MS = 60 * 60_000;
const PRESENT_MAX = 10_000;
const present = new Map<string, number>();

function knownPresent(mirror: string, sha: string): boolean {
  const at = present.get(`${mirror}\0${sha}`);
  return at !== undefined && Date.now() - at < PRESENT_FOR_MS;
}

function rememberPresent(mirror: string, sha: string): void {
  const key = `${mirror}\0${sha}`;
  present.delete(key);
  present.set(key, Date.now());
  if (present.size > PRESENT_MAX) present.delete(present.keys().next().value!);
}

/**
 * Makes `sha` present in the mirror and keeps it referenced under refs/kickoff/, so that
 * gc keeps it and later fetches can tell the server what we already have (and so download
 * only what is new). A commit is fetched before asking whether the mirror has it: for a
 * push, the usual case, it never has, and asking costs a process. Only when the fetch
 * fails is the mirror asked, so that a re-run still builds while GitHub is unreachable.
 */
export async function fetchIntoMirror(spec: MirrorFetch): Promise<MirrorStep> {
  if (knownPresent(spec.mirror, spec.sha)) return { ok: true };
  const git = (args: string[], extra: { env?: Record<string, string>; timeoutMs?: number } = {}) =>
    retryWhileLocked(() => runGit(["-C", spec.mirror, ...args], { home: spec.home, timeoutMs: extra.timeoutMs ?? LOCAL_TIMEOUT_MS, signal: spec.signal, env: extra.env }));
  const dest = keepRef(spec.ref);

  const fetch = (refspec: string) =>
    git(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "origin", refspec], {
      env: tokenEnvironment(spec.cloneUrl, spec.token),
      timeoutMs: FETCH_TIMEOUT_MS,
    });
  if (nativeFetchApplies(spec.cloneUrl)) {
    const fast = await nativeFetch({ ...spec, dest, timeoutMs: FETCH_TIMEOUT_MS, ...(spec.hold ? { hold: spec.hold } : {}) });
    if (fast.ok) {
      rememberPresent(spec.mirror, spec.sha);
      return { ok: true };
    }
    if ("failure" in fast) return { ok: false, step: "fetch", failure: fast.failure };
    spec.onFallback?.(fast.fallback);
  }
  let fetched = await fetch(`+${spec.sha}:${dest}`);
  if (fetched.ok) {
    // Fetched by its id into the keep ref: the commit is there and referenced.
    rememberPresent(spec.mirror, spec.sha);
    rememberTip(spec.mirror, spec.sha);
    return { ok: true };
  }
  if (fetched.cancelled) return { ok: false, step: "fetch", failure: fetched };
  if (await hasCommit(spec)) return keepCommit(spec, dest, git);
  // Servers that refuse to serve a commit by its id still serve the ref it is on.
  if (spec.ref !== null) fetched = await fetch(`+${spec.ref}:${dest}`);
  else if (isUnknownObject(fetched.stderr)) return { ok: false, missing: true };
  if (!fetched.ok) return { ok: false, step: "fetch", failure: fetched };
  if (!(await hasCommit(spec))) return { ok: false, missing: true };
  return keepCommit(spec, dest, git);
}

async function keepCommit(spec: MirrorFetch, dest: string, git: (args: string[]) => Promise<GitResult>): Promise<MirrorStep> {
  const keep = await git(["update-ref", dest, spec.sha]);
  if (!keep.ok) return { ok: false, step: "update-ref", failure: keep };
  rememberPresent(spec.mirror, spec.sha);
  rememberTip(spec.mirror, spec.sha);
  return { ok: true };
}

async function hasCommit(spec: MirrorFetch): Promise<boolean> {
  const result = await runGit(["-C", spec.mirror, "cat-file", "-e", `${spec.sha}^{commit}`], {
    home: spec.home,
    timeoutMs: LOCAL_TIMEOUT_MS,
    signal: spec.signal,
  });
  return result.ok;
}

// One ref per branch or pull request (or one for ref-less builds), so the number of refs
// stays that of the refs ever built, not of the commits. Slashes are flattened so that
// `refs/heads/a` and a later `refs/heads/a/b` cannot collide as file and directory.
function keepRef(ref: string | null): string {
  if (ref === null) return "refs/kickoff/detached";
  return `refs/kickoff/ref/${ref.slice("refs/".length).replaceAll("/", "%")}`;
}

// The in-process lock cannot stop another Kickoff process on this machine sharing the
// data directory; git's own lock files can, by failing. Waiting a little and trying
// again turns that into a short queue.
const LOCK_RETRIES = 5;

async function retryWhileLocked(run: () => Promise<GitResult>): Promise<GitResult> {
  for (let attempt = 1; ; attempt++) {
    const result = await run();
    if (result.ok || result.cancelled || attempt > LOCK_RETRIES || !isLockContention(result.stderr)) return result;
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.random() * 100));
  }
}

function isLockContention(stderr: string): boolean {
  return /\.lock'?: File exists|could not lock|cannot lock ref|unable to create '[^']*\.lock'/i.test(stderr);
}

// What git says when the server has no such object (or will not serve it by id).
function isUnknownObject(stderr: string): boolean {
  return /not our ref|no such remote ref|unadvertised object/i.test(stderr);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
