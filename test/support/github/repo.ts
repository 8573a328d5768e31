import { appendFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { CatFile } from "./cat-file.js";
import { BASE_EPOCH, FIXED_IDENTITY, git, gitText, resolveCommit } from "./git.js";
import type { CommitOptions, Permission, PullOptions, StandInRepo } from "./types.js";

// GitHub lets anyone fetch any commit by sha, and `git fetch origin <sha>` relies on it.
// Push is never served: Kickoff only reads.
const BARE_CONFIG = `[uploadpack]
\tallowAnySHA1InWant = true
\tallowReachableSHA1InWant = true
\tallowTipSHA1InWant = true
[http]
\tuploadpack = true
\treceivepack = false
`;

export interface RepoInit {
  fullName: string;
  id: number;
  private: boolean;
  defaultBranch: string;
  installationId: number;
  appId: number;
  baseUrl: string;
  reposRoot: string;
  home: string;
  /** Other repos a missing commit may be fetched from (fork pull requests). */
  siblings: () => Iterable<RepoImpl>;
}

export class RepoImpl implements StandInRepo {
  readonly fullName: string;
  readonly owner: string;
  readonly name: string;
  readonly id: number;
  readonly private: boolean;
  readonly defaultBranch: string;
  readonly installationId: number;
  readonly appId: number;
  readonly htmlUrl: string;
  readonly cloneUrl: string;
  readonly bareDir: string;
  readonly pulls = new Map<number, PullOptions>();
  readonly permissions = new Map<string, Permission>();
  private commitCount = 0;
  private readonly pending: Promise<unknown>[] = [];
  private readonly home: string;
  private readonly siblings: () => Iterable<RepoImpl>;

  constructor(init: RepoInit) {
    const [owner, name] = init.fullName.split("/");
    if (!owner || !name) throw new Error(`repo name must be owner/name, got ${init.fullName}`);
    this.fullName = init.fullName;
    this.owner = owner;
    this.name = name;
    this.id = init.id;
    this.private = init.private;
    this.defaultBranch = init.defaultBranch;
    this.installationId = init.installationId;
    this.appId = init.appId;
    this.htmlUrl = `${init.baseUrl}/${init.fullName}`;
    this.cloneUrl = `${init.baseUrl}/${init.fullName}.git`;
    this.bareDir = path.join(init.reposRoot, owner, `${name}.git`);
    this.home = init.home;
    this.siblings = init.siblings;
    this.objects = new CatFile(this.bareDir, this.home);
  }

  /** Object reads (files at a commit, commit existence) without a git process each. */
  readonly objects: CatFile;

  async init(): Promise<void> {
    await mkdir(this.bareDir, { recursive: true });
    await git(["init", "--quiet", "--bare", "--template=", `--initial-branch=${this.defaultBranch}`, this.bareDir], this.run());
    await appendFile(path.join(this.bareDir, "config"), BARE_CONFIG);
  }

  /** Options for running git inside this bare repo. */
  run(): { cwd: string; home: string } {
    return { cwd: this.bareDir, home: this.home };
  }

  async commit(opts: CommitOptions): Promise<string> {
    const parent = opts.parent ?? (await this.tip(opts.branch));
    // A fork starts from its parent's history, so a parent from another repo is fetched.
    if (parent && !(await this.hasCommit(parent))) await this.fetchFromSibling(parent);
    const when = `${BASE_EPOCH + this.commitCount++} +0000`;
    let message = opts.message ?? `Update ${Object.keys(opts.files).join(", ") || "nothing"}`;
    if (!message.endsWith("\n")) message += "\n";
    const exec = new Set(opts.executable ?? []);
    const chunks: Buffer[] = [];
    const line = (s: string): void => void chunks.push(Buffer.from(`${s}\n`));
    const data = (content: string): void => {
      const buf = Buffer.from(content, "utf8");
      line(`data ${buf.length}`);
      chunks.push(buf);
      line("");
    };
    line("feature get-mark");
    line(`commit refs/heads/${opts.branch}`);
    line("mark :1");
    line(`author ${FIXED_IDENTITY.GIT_AUTHOR_NAME} <${FIXED_IDENTITY.GIT_AUTHOR_EMAIL}> ${when}`);
    line(`committer ${FIXED_IDENTITY.GIT_COMMITTER_NAME} <${FIXED_IDENTITY.GIT_COMMITTER_EMAIL}> ${when}`);
    data(message);
    if (parent) line(`from ${parent}`);
    for (const [file, content] of Object.entries(opts.files)) {
      const p = quotePath(file);
      if (content === null) {
        line(`D ${p}`);
      } else {
        line(`M ${exec.has(file) ? "100755" : "100644"} inline ${p}`);
        data(content);
      }
    }
    line("");
    line("get-mark :1");
    // --force: an explicit `parent` may rewind the branch, like a force-push.
    const out = await git(["fast-import", "--quiet", "--force", "--done"], {
      ...this.run(),
      input: Buffer.concat([...chunks, Buffer.from("done\n")]),
    });
    const sha = out.toString().trim().split("\n").pop() ?? "";
    if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error(`fast-import gave no sha: ${out.toString()}`);
    return sha;
  }

  async tag(name: string, sha: string): Promise<void> {
    await this.setRef(`refs/tags/${name}`, sha);
  }

  async setRef(ref: string, sha: string): Promise<void> {
    if (!(await this.hasCommit(sha))) await this.fetchFromSibling(sha);
    await git(["update-ref", ref, sha], this.run());
  }

  async deleteBranch(name: string): Promise<void> {
    await git(["update-ref", "-d", `refs/heads/${name}`], this.run());
  }

  async head(branch: string): Promise<string> {
    const sha = await this.tip(branch);
    if (!sha) throw new Error(`${this.fullName} has no branch ${branch}`);
    return sha;
  }

  pull(number: number, opts: PullOptions): void {
    this.pulls.set(number, opts);
    // GitHub keeps refs/pull/N/head in the base repo, which also makes a fork's commits
    // fetchable from it. A sha that exists nowhere is allowed for API-only tests.
    this.pending.push(this.setRef(`refs/pull/${number}/head`, opts.headSha).catch(() => undefined));
  }

  /** Waits for background ref updates started by pull(). */
  async settle(): Promise<void> {
    while (this.pending.length) await Promise.all(this.pending.splice(0));
  }

  setPermission(user: string, permission: Permission): void {
    this.permissions.set(user.toLowerCase(), permission);
  }

  async tip(branch: string): Promise<string | undefined> {
    return resolveCommit(`refs/heads/${branch}`, this.run());
  }

  /** Resolves a sha, branch, tag or full ref name the way GitHub's `ref` parameters do. */
  async resolve(ref: string): Promise<string | undefined> {
    if (ref.startsWith("refs/")) return resolveCommit(ref, this.run());
    if (/^[0-9a-f]{40}$/i.test(ref)) return (await this.hasCommit(ref.toLowerCase())) ? ref.toLowerCase() : undefined;
    return (
      (await resolveCommit(`refs/heads/${ref}`, this.run())) ??
      (await resolveCommit(`refs/tags/${ref}`, this.run())) ??
      (/^[0-9a-f]{7,39}$/i.test(ref) ? await resolveCommit(ref, this.run()) : undefined)
    );
  }

  async hasCommit(sha: string): Promise<boolean> {
    if (/^[0-9a-f]{40}$/.test(sha)) return (await this.objects.read(`${sha}^{commit}`)) !== null;
    return (await resolveCommit(sha, this.run())) !== undefined;
  }

  private async fetchFromSibling(sha: string): Promise<void> {
    for (const other of this.siblings()) {
      if (other === this || !(await other.hasCommit(sha))) continue;
      await gitText(["fetch", "--quiet", "--no-tags", other.bareDir, sha], this.run());
      return;
    }
    throw new Error(`no stand-in repo has commit ${sha}`);
  }
}

function quotePath(p: string): string {
  if (p.includes("\n")) throw new Error(`path with a newline is not supported: ${JSON.stringify(p)}`);
  if (!p.startsWith('"') && !p.includes("\\")) return p;
  return `"${p.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
