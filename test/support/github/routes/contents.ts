import { git, gitText } from "../git.js";
import { HttpError, intParam, notFound, paginate, route, type Reply, type Route } from "../http.js";
import { changedFiles, commitInfo, commitsBetween, countBetween, mergeBase, type CommitInfo } from "../diff.js";
import type { RepoImpl } from "../repo.js";
import { repoShape, userShape } from "../shapes.js";
import type { StandInState } from "../state.js";
import { repoOf } from "./repo-lookup.js";

type S = StandInState;

const isoSeconds = (d: string): string => new Date(d).toISOString().replace(/\.\d{3}Z$/, "Z");

function commitShape(state: S, repo: RepoImpl, c: CommitInfo): Record<string, unknown> {
  return {
    sha: c.sha,
    node_id: `C_${c.sha}`,
    url: `${state.baseUrl}/api/v3/repos/${repo.fullName}/commits/${c.sha}`,
    html_url: `${repo.htmlUrl}/commit/${c.sha}`,
    commit: {
      message: c.message,
      author: { name: c.authorName, email: c.authorEmail, date: isoSeconds(c.authorDate) },
      committer: { name: c.committerName, email: c.committerEmail, date: isoSeconds(c.committerDate) },
      tree: { sha: c.tree },
    },
    author: null,
    committer: null,
    parents: c.parents.map((sha) => ({ sha, url: `${state.baseUrl}/api/v3/repos/${repo.fullName}/commits/${sha}` })),
  };
}

interface TreeEntry {
  mode: string;
  type: string;
  sha: string;
  size: number;
  path: string;
}

async function lsTree(repo: RepoImpl, sha: string, dir: string): Promise<TreeEntry[]> {
  const spec = dir ? `${sha}:${dir}` : `${sha}^{tree}`;
  const out = (await git(["ls-tree", "-z", "--long", spec], repo.run())).toString("utf8");
  return out
    .split("\0")
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf("\t");
      const [mode = "", type = "", objSha = "", size = "0"] = line.slice(0, tab).trim().split(/\s+/);
      return { mode, type, sha: objSha, size: Number(size) || 0, path: line.slice(tab + 1) };
    });
}

async function getContents(state: S, repo: RepoImpl, filePath: string, query: Record<string, string>, accept: string): Promise<Reply> {
  const ref = query.ref ?? repo.defaultBranch;
  const sha = await repo.resolve(ref);
  if (!sha) throw new HttpError(404, `No commit found for the ref ${ref}`);
  const clean = filePath.replace(/^\/+|\/+$/g, "");
  const object = clean ? await repo.objects.read(`${sha}:${clean}`) : null;
  if (clean && object === null) throw notFound();
  const type = object?.type ?? "tree";
  const api = `${state.baseUrl}/api/v3/repos/${repo.fullName}/contents`;
  const entryShape = (e: { name: string; path: string; sha: string; size: number; type: string }): Record<string, unknown> => ({
    type: e.type,
    name: e.name,
    path: e.path,
    sha: e.sha,
    size: e.size,
    url: `${api}/${e.path}?ref=${encodeURIComponent(ref)}`,
    html_url: `${repo.htmlUrl}/blob/${ref}/${e.path}`,
    download_url: e.type === "file" ? `${state.baseUrl}/raw/${repo.fullName}/${sha}/${e.path}` : null,
  });
  if (type === "tree") {
    const entries = await lsTree(repo, sha, clean);
    return {
      status: 200,
      json: entries.map((e) =>
        entryShape({
          name: e.path.split("/").pop() ?? e.path,
          path: clean ? `${clean}/${e.path}` : e.path,
          sha: e.sha,
          size: e.size,
          type: e.type === "tree" ? "dir" : e.type === "commit" ? "submodule" : e.mode === "120000" ? "symlink" : "file",
        }),
      ),
    };
  }
  if (type !== "blob") throw notFound();
  const content = object!.content;
  // Octokit's `mediaType: { format: "raw" }` asks for the bytes themselves.
  if (/application\/vnd\.github(\.v3)?\.raw/.test(accept)) {
    return { status: 200, raw: { body: content, contentType: "application/vnd.github.raw; charset=utf-8" } };
  }
  const blobSha = object!.oid;
  const b64 = content.toString("base64");
  return {
    status: 200,
    json: {
      ...entryShape({ name: clean.split("/").pop() ?? clean, path: clean, sha: blobSha, size: content.length, type: "file" }),
      encoding: "base64",
      // GitHub wraps base64 at 60 columns; clients must cope with the newlines.
      content: `${b64.replace(/.{60}/g, "$&\n")}\n`,
    },
  };
}

async function compare(state: S, repo: RepoImpl, basehead: string): Promise<Reply> {
  const parts = basehead.split("...");
  if (parts.length !== 2) throw notFound();
  const [baseRef = "", headRef = ""] = parts;
  const [base, head] = await Promise.all([repo.resolve(baseRef), repo.resolve(headRef)]);
  if (!base || !head) throw notFound();
  const mb = await mergeBase(repo, base, head);
  const [ahead, behind] = await Promise.all([countBetween(repo, base, head), countBetween(repo, head, base)]);
  const status = ahead === 0 && behind === 0 ? "identical" : behind === 0 ? "ahead" : ahead === 0 ? "behind" : "diverged";
  const shas = (await commitsBetween(repo, base, head)).slice(0, 250);
  const commits = await Promise.all(shas.map(async (s) => commitShape(state, repo, await commitInfo(repo, s))));
  // Without a merge base GitHub compares trees directly; the empty tree stands in for it.
  const from = mb ?? (await gitText(["hash-object", "-t", "tree", "/dev/null"], repo.run()));
  const files = (await changedFiles(repo, from, head)).slice(0, 300);
  return {
    status: 200,
    json: {
      url: `${state.baseUrl}/api/v3/repos/${repo.fullName}/compare/${basehead}`,
      html_url: `${repo.htmlUrl}/compare/${basehead}`,
      base_commit: commitShape(state, repo, await commitInfo(repo, base)),
      merge_base_commit: mb ? commitShape(state, repo, await commitInfo(repo, mb)) : null,
      status,
      ahead_by: ahead,
      behind_by: behind,
      total_commits: ahead,
      commits,
      files: files.map((f) => ({ ...f, additions: 0, deletions: 0, changes: 0 })),
    },
  };
}

function pullShape(state: S, repo: RepoImpl, number: number, baseSha: string): Record<string, unknown> {
  const p = repo.pulls.get(number);
  if (!p) throw notFound();
  const headRef = p.headRef ?? `pr-${number}`;
  const headRepo = p.fork
    ? {
        id: 0,
        name: p.fork.fullName.split("/")[1],
        full_name: p.fork.fullName,
        owner: userShape(state, p.fork.fullName.split("/")[0] ?? ""),
        clone_url: p.fork.cloneUrl,
        fork: true,
        private: false,
      }
    : repoShape(state, repo);
  const headOwner = p.fork ? (p.fork.fullName.split("/")[0] ?? "") : repo.owner;
  return {
    id: repo.id * 1000 + number,
    number,
    state: p.state ?? "open",
    title: p.title ?? `Pull request #${number}`,
    draft: p.draft ?? false,
    user: userShape(state, p.user ?? "octocat"),
    html_url: `${repo.htmlUrl}/pull/${number}`,
    url: `${state.baseUrl}/api/v3/repos/${repo.fullName}/pulls/${number}`,
    head: { label: `${headOwner}:${headRef}`, ref: headRef, sha: p.headSha, repo: headRepo, user: userShape(state, headOwner) },
    base: { label: `${repo.owner}:${p.baseBranch}`, ref: p.baseBranch, sha: baseSha, repo: repoShape(state, repo), user: userShape(state, repo.owner) },
    merged: false,
    mergeable: null,
  };
}

export function contentsRoutes(): Route<S>[] {
  return [
    route<S>("GET", "/repos/:owner/:repo", "repo", (ctx) => ({ status: 200, json: repoShape(ctx.state, repoOf(ctx)) })),
    route<S>("GET", "/repos/:owner/:repo/contents", "repo", (ctx) => getContents(ctx.state, repoOf(ctx), "", ctx.query, ctx.headers.accept ?? "")),
    route<S>("GET", "/repos/:owner/:repo/contents/:path+", "repo", (ctx) => getContents(ctx.state, repoOf(ctx), ctx.params.path ?? "", ctx.query, ctx.headers.accept ?? "")),
    route<S>("GET", "/repos/:owner/:repo/commits/:ref", "repo", async (ctx) => {
      const repo = repoOf(ctx);
      const sha = await repo.resolve(ctx.params.ref ?? "");
      if (!sha) throw new HttpError(422, `No commit found for SHA: ${ctx.params.ref ?? ""}`);
      return { status: 200, json: commitShape(ctx.state, repo, await commitInfo(repo, sha)) };
    }),
    // The Git database API's commit: what Kickoff reads a pull request head's message from.
    route<S>("GET", "/repos/:owner/:repo/git/commits/:sha", "repo", async (ctx) => {
      const repo = repoOf(ctx);
      const sha = ctx.params.sha ?? "";
      if (!/^[0-9a-f]{40}$/.test(sha) || !(await repo.hasCommit(sha))) throw notFound();
      const c = await commitInfo(repo, sha);
      return {
        status: 200,
        json: {
          sha: c.sha,
          node_id: `C_${c.sha.slice(0, 8)}`,
          url: `${ctx.state.baseUrl}/api/v3/repos/${repo.fullName}/git/commits/${c.sha}`,
          html_url: `${repo.htmlUrl}/commit/${c.sha}`,
          message: c.message,
          author: { name: c.authorName, email: c.authorEmail, date: c.authorDate },
          committer: { name: c.committerName, email: c.committerEmail, date: c.committerDate },
          tree: { sha: c.tree, url: `${ctx.state.baseUrl}/api/v3/repos/${repo.fullName}/git/trees/${c.tree}` },
          parents: c.parents.map((p) => ({ sha: p, url: `${ctx.state.baseUrl}/api/v3/repos/${repo.fullName}/git/commits/${p}`, html_url: `${repo.htmlUrl}/commit/${p}` })),
          verification: { verified: false, reason: "unsigned", signature: null, payload: null },
        },
      };
    }),
    route<S>("GET", "/repos/:owner/:repo/compare/:basehead+", "repo", (ctx) => compare(ctx.state, repoOf(ctx), ctx.params.basehead ?? "")),
    route<S>("GET", "/repos/:owner/:repo/pulls/:number", "repo", async (ctx) => {
      const repo = repoOf(ctx);
      const number = intParam(ctx.params.number, "number");
      const p = repo.pulls.get(number);
      if (!p) throw notFound();
      const baseSha = (await repo.tip(p.baseBranch)) ?? p.headSha;
      return { status: 200, json: pullShape(ctx.state, repo, number, baseSha) };
    }),
    route<S>("GET", "/repos/:owner/:repo/pulls/:number/files", "repo", async (ctx) => {
      const repo = repoOf(ctx);
      const number = intParam(ctx.params.number, "number");
      const p = repo.pulls.get(number);
      if (!p) throw notFound();
      const baseSha = await repo.tip(p.baseBranch);
      if (!baseSha || !(await repo.hasCommit(p.headSha))) throw notFound();
      const mb = (await mergeBase(repo, baseSha, p.headSha)) ?? baseSha;
      // GitHub lists at most 3000 files for a pull request.
      const files = (await changedFiles(repo, mb, p.headSha)).slice(0, 3000);
      const self = `${ctx.state.baseUrl}/api/v3/repos/${repo.fullName}/pulls/${number}/files`;
      const { page, headers } = paginate(files, ctx.query, self);
      return { status: 200, json: page.map((f) => ({ ...f, additions: 0, deletions: 0, changes: 0 })), headers };
    }),
  ];
}
