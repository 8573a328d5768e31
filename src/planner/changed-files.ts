import type { InstallationOctokit } from "../github/github-app.js";

/** GitHub's compare API lists at most 300 files; past that, path filters pass (as in Actions). */
const COMPARE_FILE_LIMIT = 300;
const PULL_FILES_LIMIT = 3000;
const ZERO_SHA = /^0{40}$/;

export interface PushFacts {
  before: string;
  after: string;
  created: boolean;
  forced: boolean;
  defaultBranch: string;
  branch: string | null;
  commits: Array<{ added?: string[]; removed?: string[]; modified?: string[] }>;
}

/** Files a push changed, or null when they cannot be known (then path filters pass). */
export async function pushChangedFiles(octokit: InstallationOctokit, owner: string, repo: string, push: PushFacts): Promise<string[] | null> {
  // The payload lists each commit's files for pushes of under 20 commits; that saves a request.
  if (!push.created && !push.forced && push.commits.length > 0 && push.commits.length < 20) {
    const files = new Set<string>();
    for (const c of push.commits) for (const f of [...(c.added ?? []), ...(c.removed ?? []), ...(c.modified ?? [])]) files.add(f);
    return [...files];
  }
  let base = push.before;
  if (push.created || ZERO_SHA.test(base)) {
    // A new branch is compared with the default branch, like a pull request would be.
    if (push.branch === null || push.branch === push.defaultBranch) return null;
    base = push.defaultBranch;
  }
  return compareFiles(octokit, owner, repo, base, push.after);
}

async function compareFiles(octokit: InstallationOctokit, owner: string, repo: string, base: string, head: string): Promise<string[] | null> {
  try {
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${base}...${head}`, per_page: 1 });
    const files = data.files ?? [];
    if (files.length >= COMPARE_FILE_LIMIT) return null;
    return files.flatMap((f) => (f.previous_filename ? [f.filename, f.previous_filename] : [f.filename]));
  } catch (error) {
    // A force-push can make `before` unknown to GitHub; then nothing is known.
    if ((error as { status?: unknown }).status === 404) return null;
    throw error;
  }
}

export async function pullRequestChangedFiles(octokit: InstallationOctokit, owner: string, repo: string, number: number): Promise<string[] | null> {
  const files = await octokit.paginate(octokit.rest.pulls.listFiles, { owner, repo, pull_number: number, per_page: 100 });
  if (files.length >= PULL_FILES_LIMIT) return null;
  return files.flatMap((f) => (f.previous_filename ? [f.filename, f.previous_filename] : [f.filename]));
}
