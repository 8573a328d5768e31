import { randomBytes } from "node:crypto";
import { access, mkdir, rename } from "node:fs/promises";
import path from "node:path";
import { tokenEnvironment } from "./git-auth.js";
import { runGit } from "./git-command.js";
import type { GitResult } from "./git-command.js";
import { removeTree } from "./remove-tree.js";

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
}

export type MirrorStep = { ok: true } | { ok: false; step: string; failure: Extract<GitResult, { ok: false }> } | { ok: false; missing: true };

/** Creates the bare mirror if needed. Safe against another process doing the same. */
export async function ensureMirror(mirror: string, home: string, signal?: AbortSignal): Promise<MirrorStep> {
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

/**
 * Makes `sha` present in the mirror, fetching only when it is missing, and keeps it
 * referenced under refs/kickoff/ so that gc keeps it and later fetches can tell the
 * server what we already have (and so download only what is new).
 */
const knownUrls = new Map<string, string>();

export async function fetchIntoMirror(spec: MirrorFetch): Promise<MirrorStep> {
  const git = (args: string[], extra: { env?: Record<string, string>; timeoutMs?: number } = {}) =>
    retryWhileLocked(() => runGit(["-C", spec.mirror, ...args], { home: spec.home, timeoutMs: extra.timeoutMs ?? LOCAL_TIMEOUT_MS, signal: spec.signal, env: extra.env }));
  const dest = keepRef(spec.ref);

  // The URL can change (a renamed repository, a moved GitHub Enterprise host). Written
  // only when it did, since every write takes the config file's lock; remembered per
  // process, since every git process costs milliseconds of a build's start.
  if (knownUrls.get(spec.mirror) !== spec.cloneUrl) {
    const current = await git(["config", "--get", "remote.origin.url"]);
    if (!current.ok || current.stdout !== spec.cloneUrl) {
      const setUrl = await git(["config", "remote.origin.url", spec.cloneUrl]);
      if (!setUrl.ok) return { ok: false, step: "config", failure: setUrl };
    }
    knownUrls.set(spec.mirror, spec.cloneUrl);
  }

  if (!(await hasCommit(spec))) {
    const fetch = (refspec: string) =>
      git(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "origin", refspec], {
        env: tokenEnvironment(spec.cloneUrl, spec.token),
        timeoutMs: FETCH_TIMEOUT_MS,
      });
    let fetched = await fetch(`+${spec.sha}:${dest}`);
    // Fetched by its id into the keep ref: the commit is there and referenced.
    if (fetched.ok) return { ok: true };
    if (!fetched.cancelled) {
      // Servers that refuse to serve a commit by its id still serve the ref it is on.
      if (spec.ref !== null) fetched = await fetch(`+${spec.ref}:${dest}`);
      else if (isUnknownObject(fetched.stderr)) return { ok: false, missing: true };
    }
    if (!fetched.ok) return { ok: false, step: "fetch", failure: fetched };
    if (!(await hasCommit(spec))) return { ok: false, missing: true };
  }
  const keep = await git(["update-ref", dest, spec.sha]);
  if (!keep.ok) return { ok: false, step: "update-ref", failure: keep };
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
