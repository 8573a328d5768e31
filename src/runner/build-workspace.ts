import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";

/** Where one build lives on this machine: `builds/<id>` under the data directory. */
export interface BuildPaths {
  dir: string;
  /** The checkout. */
  workDir: string;
  /** KICKOFF_SUMMARY. */
  summaryFile: string;
  /** The run's private HOME. */
  home: string;
}

export function buildPaths(dataDir: string, buildId: number): BuildPaths {
  const dir = path.join(dataDir, "builds", String(buildId));
  return { dir, workDir: path.join(dir, "src"), summaryFile: path.join(dir, "summary.md"), home: path.join(dir, "home") };
}

/** Why the workspace could not be made: a title for GitHub, and the error for the log. */
export interface WorkspaceProblem {
  title: string;
  error: unknown;
}

/**
 * Makes the build's directory afresh (an earlier attempt's is removed first). A full
 * disk, a file in the way or lost permissions on KICKOFF_DATA_DIR fail the build with a
 * title saying so, rather than as an internal error. The title names the directory only
 * relative to the data directory: it goes to GitHub.
 */
export async function prepareWorkspace(paths: BuildPaths): Promise<WorkspaceProblem | null> {
  try {
    // mkdir answers whether the directory was there, so a first attempt skips the rm.
    if ((await mkdir(paths.dir, { recursive: true })) === undefined) {
      await rm(paths.dir, { recursive: true, force: true });
      await mkdir(paths.dir);
    }
    await mkdir(paths.home);
    await writeFile(paths.summaryFile, "");
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOSPC"
        ? "no space left on the device"
        : code === "ENOTDIR" || code === "EEXIST"
          ? "a file is in the way"
          : code === "EACCES" || code === "EPERM"
            ? "permission denied"
            : code === "EROFS"
              ? "read-only file system"
              : (code ?? "unknown error");
    return { title: `cannot create the workspace under KICKOFF_DATA_DIR/builds (${why})`, error };
  }
}
