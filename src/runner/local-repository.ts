// What `kickoff run` needs to know about the git repository it was started in. Read
// through runGit, the same minimal-environment git the workers use.

import { readFile } from "node:fs/promises";
import path from "node:path";
import { CONFIG_PATH } from "../config/kickoff-config.js";
import { repositoryParts } from "./checkout-input.js";
import { runGit } from "./git-command.js";

export interface LocalRepository {
  /** Absolute path of the work tree's top directory. */
  root: string;
  /** HEAD's commit. */
  sha: string;
  /** The checked-out branch, or null when HEAD is detached. */
  branch: string | null;
  /** owner/name: from a GitHub-style `origin` URL, else `local/<directory name>`. */
  repository: string;
  /** Whether the work tree differs from HEAD (untracked files included). */
  dirty: boolean;
}

export type ConfigText = { found: true; text: string } | { found: false; reason: string };

const TIMEOUT_MS = 60_000;

export class LocalRepositoryError extends Error {}

/** The repository containing `dir`; throws LocalRepositoryError with a one-line reason. */
export async function openLocalRepository(dir: string, home: string): Promise<LocalRepository> {
  const git = (args: string[]) => runGit(args, { cwd: dir, home, timeoutMs: TIMEOUT_MS });
  const top = await git(["rev-parse", "--show-toplevel"]);
  if (!top.ok) throw new LocalRepositoryError(`${dir} is not inside a git work tree`);
  const root = top.stdout;
  const head = await git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
  if (!head.ok) throw new LocalRepositoryError("the repository has no commit yet (commit something, or use --dirty)");
  const branch = await git(["symbolic-ref", "--quiet", "--short", "HEAD"]);
  const origin = await git(["config", "--get", "remote.origin.url"]);
  const status = await git(["status", "--porcelain", "--untracked-files=normal"]);
  return {
    root,
    sha: head.stdout,
    branch: branch.ok && branch.stdout !== "" ? branch.stdout : null,
    repository: repositoryName(origin.ok ? origin.stdout : null, root),
    dirty: status.ok && status.stdout !== "",
  };
}

/**
 * `.github/kickoff.yml` as the bot reads it, at the commit (DESIGN.md section 2), or as
 * it is in the work tree for `--dirty` runs.
 */
export async function readLocalConfig(repo: LocalRepository, home: string, workingTree: boolean): Promise<ConfigText> {
  if (workingTree) {
    try {
      return { found: true, text: await readFile(path.join(repo.root, CONFIG_PATH), "utf8") };
    } catch (error) {
      return { found: false, reason: `${CONFIG_PATH} not found in ${repo.root} (${(error as NodeJS.ErrnoException).code ?? "unreadable"})` };
    }
  }
  const shown = await runGit(["show", `HEAD:${CONFIG_PATH}`], { cwd: repo.root, home, timeoutMs: TIMEOUT_MS });
  if (shown.ok) return { found: true, text: `${shown.stdout}\n` };
  return { found: false, reason: `${CONFIG_PATH} is not in commit ${repo.sha.slice(0, 7)} (commit it, or run with --dirty to use the work tree)` };
}

/** Every tracked file, relative to the top of the work tree (for `kickoff lint`'s glob checks). */
export async function trackedFiles(dir: string, home: string): Promise<{ root: string; files: string[] } | null> {
  const top = await runGit(["rev-parse", "--show-toplevel"], { cwd: dir, home, timeoutMs: TIMEOUT_MS });
  if (!top.ok) return null;
  const listed = await runGit(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: top.stdout, home, timeoutMs: TIMEOUT_MS });
  if (!listed.ok) return null;
  return { root: top.stdout, files: listed.stdout.split("\0").filter((f) => f !== "") };
}

// KICKOFF_REPOSITORY should read as it would on the bot, so a script that branches on it
// behaves the same locally.
function repositoryName(originUrl: string | null, root: string): string {
  const match = originUrl?.match(/[:/]([^/:]+)\/([^/]+?)(?:\.git)?\/?$/);
  if (match?.[1] && match[2]) {
    const candidate = `${match[1]}/${match[2]}`;
    if (repositoryParts(candidate) !== null) return candidate;
  }
  const name =
    path
      .basename(root)
      .replace(/[^A-Za-z0-9._-]/g, "-")
      .replace(/^\.+/, "") || "repository";
  return `local/${name}`;
}
