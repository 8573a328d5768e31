import { createHash, randomBytes } from "node:crypto";
import { access, copyFile, mkdir, readdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { runGit } from "./git-command.js";
import type { GitResult } from "./git-command.js";
import { removeTree } from "./remove-tree.js";

const LOCAL_TIMEOUT_MS = 2 * 60_000;

export type SkeletonResult = { ok: true; gitDir: string } | { ok: false; step: string; failure: Extract<GitResult, { ok: false }> };

/**
 * A work tree's `.git` as `git init` makes it on this file system (it probes for file
 * modes, symlinks, case), borrowing the mirror's objects through git's alternates file (as
 * `git clone --shared` does) and naming the clone URL as origin: never the mirror's path,
 * never a token. Made once per mirror and URL and never changed after, so a build copying
 * it meanwhile can never see half of one. Each build's `.git` is a copy (copySkeleton),
 * which spares it a git process.
 */
export async function workTreeSkeleton(mirror: string, home: string, cloneUrl: string, signal?: AbortSignal): Promise<SkeletonResult> {
  const objects = path.join(mirror, "objects");
  const id = createHash("sha256").update(`${objects}\n${cloneUrl}`).digest("hex").slice(0, 16);
  const dir = path.join(mirror, "kickoff", `work-tree-${id}`);
  const gitDir = path.join(dir, ".git");
  if (await exists(path.join(gitDir, "config"))) return { ok: true, gitDir };
  const staging = `${dir}.${randomBytes(6).toString("hex")}.tmp`;
  const git = (args: string[]) => runGit(args, { home, timeoutMs: LOCAL_TIMEOUT_MS, signal });
  try {
    // No template: no sample hooks, nothing a build does not need.
    const init = await git(["init", "--quiet", "--template=", staging]);
    if (!init.ok) return { ok: false, step: "init", failure: init };
    const stagedGit = path.join(staging, ".git");
    await mkdir(path.join(stagedGit, "objects", "info"), { recursive: true });
    await writeFile(path.join(stagedGit, "objects", "info", "alternates"), `${objects}\n`);
    // git writes its own config file: it knows how to quote whatever a URL holds.
    for (const [key, value] of [
      ["remote.origin.url", cloneUrl],
      ["remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"],
    ] as const) {
      const set = await git(["config", "--file", path.join(stagedGit, "config"), key, value]);
      if (!set.ok) return { ok: false, step: "config", failure: set };
    }
    try {
      await rename(staging, dir);
    } catch (error) {
      // Another build made the same skeleton first.
      if (!(await exists(path.join(gitDir, "config")))) throw error;
    }
    return { ok: true, gitDir };
  } finally {
    await removeTree(staging).catch(() => undefined);
  }
}

/** Copies a skeleton `.git` into `workDir` (made if absent), ready for `git checkout`. */
export async function copySkeleton(gitDir: string, workDir: string): Promise<void> {
  await copyTree(gitDir, path.join(workDir, ".git"));
}

async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map((entry) => {
      const source = path.join(from, entry.name);
      const target = path.join(to, entry.name);
      return entry.isDirectory() ? copyTree(source, target) : copyFile(source, target);
    }),
  );
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
