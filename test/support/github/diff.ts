import { git, gitText } from "./git.js";
import type { RepoImpl } from "./repo.js";

export interface ChangedFile {
  filename: string;
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed";
  previous_filename?: string;
  sha: string;
}

const STATUS: Record<string, ChangedFile["status"]> = {
  A: "added",
  D: "removed",
  M: "modified",
  R: "renamed",
  C: "copied",
  T: "changed",
};

/** Files changed between two commits, with rename detection as GitHub shows them. */
export async function changedFiles(repo: RepoImpl, from: string, to: string): Promise<ChangedFile[]> {
  const out = (await git(["diff", "--raw", "-z", "-M", "--no-abbrev", from, to, "--"], repo.run())).toString("utf8").split("\0");
  const files: ChangedFile[] = [];
  // -z --raw: ":<modes> <shas> <status>\0<path>[\0<new path>]\0"
  for (let i = 0; i < out.length; ) {
    const meta = out[i++];
    if (!meta) continue;
    const fields = meta.split(" ");
    const letter = (fields[4] ?? "M").charAt(0);
    const newSha = fields[3] ?? "";
    const first = out[i++] ?? "";
    if (letter === "R" || letter === "C") {
      const second = out[i++] ?? "";
      files.push({ filename: second, status: STATUS[letter] ?? "modified", previous_filename: first, sha: newSha });
    } else {
      files.push({
        filename: first,
        status: STATUS[letter] ?? "modified",
        sha: letter === "D" ? (fields[2] ?? "") : newSha,
      });
    }
  }
  return files;
}

export async function mergeBase(repo: RepoImpl, a: string, b: string): Promise<string | undefined> {
  try {
    return await gitText(["merge-base", a, b], repo.run());
  } catch {
    return undefined;
  }
}

export async function commitsBetween(repo: RepoImpl, base: string, head: string): Promise<string[]> {
  const out = await gitText(["rev-list", "--reverse", `${base}..${head}`], repo.run());
  return out ? out.split("\n") : [];
}

export async function countBetween(repo: RepoImpl, from: string, to: string): Promise<number> {
  return Number(await gitText(["rev-list", "--count", `${from}..${to}`], repo.run()));
}

export interface CommitInfo {
  sha: string;
  message: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  authorDate: string;
  committerName: string;
  committerEmail: string;
  committerDate: string;
  tree: string;
}

export async function commitInfo(repo: RepoImpl, sha: string): Promise<CommitInfo> {
  const fmt = ["%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%T", "%B"].join("%x00");
  const out = (await git(["show", "-s", `--format=${fmt}`, sha], repo.run())).toString("utf8");
  const [h, p, an, ae, ad, cn, ce, cd, t, ...msg] = out.split("\0");
  return {
    sha: h ?? sha,
    parents: p ? p.split(" ") : [],
    authorName: an ?? "",
    authorEmail: ae ?? "",
    authorDate: ad ?? "",
    committerName: cn ?? "",
    committerEmail: ce ?? "",
    committerDate: cd ?? "",
    tree: t ?? "",
    message: msg.join("\0").replace(/\n+$/, ""),
  };
}
