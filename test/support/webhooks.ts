// Webhook payloads and delivery for end-to-end tests. Payloads start from GitHub's own
// examples (@octokit/webhooks-examples), so fields Kickoff does not read still look
// real, and override every field Kickoff reads with values from the stand-in repo.
import { createHmac, randomUUID } from "node:crypto";
import { request } from "node:http";
import { request as httpsRequest } from "node:https";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import type { CheckRunRecord, StandInRepo } from "./github/types.js";

type Json = Record<string, unknown>;

interface ExampleSet {
  name: string;
  examples: unknown[];
}

const ZERO_SHA = "0".repeat(40);

function example(event: string, action?: string): Json {
  const set = (examples as unknown as ExampleSet[]).find((e) => e.name === event);
  if (!set) throw new Error(`no webhook example for ${event}`);
  const all = set.examples as Json[];
  const found = (action === undefined ? undefined : all.find((e) => e.action === action)) ?? all[0];
  if (!found) throw new Error(`no webhook example for ${event}.${action ?? ""}`);
  return structuredClone(found);
}

/** "http://127.0.0.1:PORT" from a stand-in repo's clone URL. */
function baseUrlOf(repo: StandInRepo): string {
  return repo.cloneUrl.slice(0, -`/${repo.fullName}.git`.length);
}

/** Repoints the example's URLs and names at the stand-in, so nothing refers to github.com. */
function rebase(payload: Json, repo: StandInRepo): Json {
  const base = baseUrlOf(repo);
  const exampleRepo = (payload.repository as Json | undefined)?.full_name;
  let text = JSON.stringify(payload).replaceAll("https://api.github.com", `${base}/api/v3`).replaceAll("https://github.com", base);
  if (typeof exampleRepo === "string") text = text.replaceAll(exampleRepo, repo.fullName);
  const out = JSON.parse(text) as Json;
  delete out.organization;
  delete out.enterprise;
  return out;
}

function userObject(repo: StandInRepo, login: string, type: "User" | "Bot" | "Organization" = "User"): Json {
  const base = baseUrlOf(repo);
  let id = 0;
  for (const c of login) id = (id * 31 + c.charCodeAt(0)) % 9_000_000;
  return {
    login,
    id: 1_000_000 + id,
    node_id: `U_${login}`,
    type,
    site_admin: false,
    url: `${base}/api/v3/users/${login}`,
    html_url: `${base}/${login}`,
    avatar_url: `${base}/avatars/${login}`,
  };
}

function repositoryObject(repo: StandInRepo, example: unknown): Json {
  const base = baseUrlOf(repo);
  const from = typeof example === "object" && example !== null ? (example as Json) : {};
  return {
    ...from,
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: repo.fullName,
    private: repo.private,
    visibility: repo.private ? "private" : "public",
    owner: { ...userObject(repo, repo.owner, "Organization"), name: repo.owner },
    html_url: repo.htmlUrl,
    url: `${base}/api/v3/repos/${repo.fullName}`,
    clone_url: repo.cloneUrl,
    git_url: repo.cloneUrl.replace(/^http/, "git"),
    ssh_url: `git@127.0.0.1:${repo.fullName}.git`,
    svn_url: repo.htmlUrl,
    default_branch: repo.defaultBranch,
    master_branch: repo.defaultBranch,
    fork: false,
    archived: false,
    disabled: false,
  };
}

function common(payload: Json, repo: StandInRepo, sender: string): Json {
  const out = rebase(payload, repo);
  out.repository = repositoryObject(repo, out.repository);
  out.sender = userObject(repo, sender);
  out.installation = { id: repo.installationId, node_id: `I_${repo.installationId}` };
  return out;
}

export interface PushCommit {
  id: string;
  message: string;
  added?: string[];
  modified?: string[];
  removed?: string[];
}

export function pushPayload(
  repo: StandInRepo,
  o: {
    ref: string;
    before: string;
    after: string;
    message?: string;
    deleted?: boolean;
    created?: boolean;
    forced?: boolean;
    baseRef?: string | null;
    commits?: PushCommit[];
    sender?: string;
  },
): Json {
  const sender = o.sender ?? "octocat";
  const p = common(example("push"), repo, sender);
  const deleted = o.deleted ?? o.after === ZERO_SHA;
  const created = o.created ?? o.before === ZERO_SHA;
  const template = (p.head_commit ?? {}) as Json;
  const commitObject = (c: PushCommit): Json => ({
    ...template,
    id: c.id,
    tree_id: (template.tree_id as string | undefined) ?? "",
    distinct: true,
    message: c.message,
    timestamp: "2024-01-01T00:00:00Z",
    url: `${repo.htmlUrl}/commit/${c.id}`,
    author: { name: sender, email: `${sender}@users.noreply.test`, username: sender },
    committer: { name: sender, email: `${sender}@users.noreply.test`, username: sender },
    added: c.added ?? [],
    removed: c.removed ?? [],
    modified: c.modified ?? [],
  });
  const commits = deleted ? [] : (o.commits ?? [{ id: o.after, message: o.message ?? "Update" }]);
  const head = commits.find((c) => c.id === o.after) ?? (deleted ? undefined : { id: o.after, message: o.message ?? "Update" });
  const short = (s: string): string => s.slice(0, 12);
  return {
    ...p,
    ref: o.ref,
    before: o.before,
    after: o.after,
    created,
    deleted,
    forced: o.forced ?? false,
    base_ref: o.baseRef ?? null,
    compare: `${repo.htmlUrl}/compare/${short(o.before)}...${short(o.after)}`,
    commits: commits.map(commitObject),
    head_commit: head ? commitObject(head) : null,
    pusher: { name: sender, email: `${sender}@users.noreply.test` },
  };
}

export function pullRequestPayload(
  repo: StandInRepo,
  o: {
    action: string;
    number: number;
    headSha: string;
    headRef: string;
    baseRef: string;
    baseSha: string;
    fork?: { fullName: string; cloneUrl: string };
    title?: string;
    user?: string;
    draft?: boolean;
    before?: string;
    merged?: boolean;
  },
): Json {
  const user = o.user ?? "octocat";
  const p = common(example("pull_request", o.action), repo, user);
  const pr = (p.pull_request ?? {}) as Json;
  const base = baseUrlOf(repo);
  const baseRepo = p.repository as Json;
  const headRepo: Json = o.fork
    ? {
        ...baseRepo,
        id: repo.id + 100_000,
        node_id: `R_fork_${o.fork.fullName}`,
        name: o.fork.fullName.split("/")[1] ?? "",
        full_name: o.fork.fullName,
        owner: userObject(repo, o.fork.fullName.split("/")[0] ?? ""),
        private: false,
        visibility: "public",
        fork: true,
        clone_url: o.fork.cloneUrl,
        html_url: `${base}/${o.fork.fullName}`,
        url: `${base}/api/v3/repos/${o.fork.fullName}`,
      }
    : baseRepo;
  const headOwner = o.fork ? (o.fork.fullName.split("/")[0] ?? "") : repo.owner;
  const closed = o.action === "closed";
  const out: Json = {
    ...p,
    action: o.action,
    number: o.number,
    pull_request: {
      ...pr,
      id: repo.id * 1000 + o.number,
      node_id: `PR_${repo.id}_${o.number}`,
      number: o.number,
      url: `${base}/api/v3/repos/${repo.fullName}/pulls/${o.number}`,
      html_url: `${repo.htmlUrl}/pull/${o.number}`,
      state: closed ? "closed" : "open",
      title: o.title ?? `Pull request #${o.number}`,
      user: userObject(repo, user),
      draft: o.draft ?? false,
      merged: closed ? (o.merged ?? false) : false,
      head: { label: `${headOwner}:${o.headRef}`, ref: o.headRef, sha: o.headSha, user: userObject(repo, headOwner), repo: headRepo },
      base: { label: `${repo.owner}:${o.baseRef}`, ref: o.baseRef, sha: o.baseSha, user: userObject(repo, repo.owner, "Organization"), repo: baseRepo },
    },
  };
  if (o.action === "synchronize") {
    out.before = o.before ?? ZERO_SHA;
    out.after = o.headSha;
  }
  return out;
}

export interface PullRequestRef {
  number: number;
  headSha: string;
  headRef: string;
  baseSha: string;
  baseRef: string;
}

function pullRequestRefs(repo: StandInRepo, prs: PullRequestRef[] | undefined): Json[] {
  const base = baseUrlOf(repo);
  const mini = { id: repo.id, url: `${base}/api/v3/repos/${repo.fullName}`, name: repo.name };
  return (prs ?? []).map((pr) => ({
    id: repo.id * 1000 + pr.number,
    number: pr.number,
    url: `${base}/api/v3/repos/${repo.fullName}/pulls/${pr.number}`,
    head: { ref: pr.headRef, sha: pr.headSha, repo: mini },
    base: { ref: pr.baseRef, sha: pr.baseSha, repo: mini },
  }));
}

function appObject(repo: StandInRepo, appId: number | undefined): Json {
  return { id: appId ?? repo.appId, slug: "kickoff", name: "Kickoff", node_id: `A_${appId ?? repo.appId}`, owner: userObject(repo, "kickoff-owner", "Organization") };
}

/**
 * `check_run` events. Pass the stand-in's CheckRunRecord as `run` to echo what Kickoff
 * created; `requestedAction` fills `requested_action.identifier`.
 */
export function checkRunPayload(
  repo: StandInRepo,
  o: {
    action: "created" | "completed" | "rerequested" | "requested_action" | (string & {});
    run: Pick<CheckRunRecord, "id" | "name" | "head_sha"> & Partial<CheckRunRecord>;
    headBranch?: string | null;
    requestedAction?: string;
    appId?: number;
    sender?: string;
    pullRequests?: PullRequestRef[];
    checkSuiteId?: number;
  },
): Json {
  const p = common(example("check_run", o.action), repo, o.sender ?? "octocat");
  const base = baseUrlOf(repo);
  const cr = (p.check_run ?? {}) as Json;
  const suite = (cr.check_suite ?? {}) as Json;
  const prs = pullRequestRefs(repo, o.pullRequests);
  const run = o.run;
  const out: Json = {
    ...p,
    action: o.action,
    check_run: {
      ...cr,
      id: run.id,
      node_id: `CR_${run.id}`,
      name: run.name,
      head_sha: run.head_sha,
      external_id: run.external_id ?? "",
      details_url: run.details_url ?? null,
      status: run.status ?? "completed",
      conclusion: run.conclusion ?? null,
      started_at: run.started_at ?? null,
      completed_at: run.completed_at ?? null,
      url: `${base}/api/v3/repos/${repo.fullName}/check-runs/${run.id}`,
      html_url: `${repo.htmlUrl}/runs/${run.id}`,
      output: {
        title: run.output?.title ?? null,
        summary: run.output?.summary ?? null,
        text: run.output?.text ?? null,
        annotations_count: run.output?.annotations.length ?? 0,
        annotations_url: `${base}/api/v3/repos/${repo.fullName}/check-runs/${run.id}/annotations`,
      },
      app: appObject(repo, o.appId),
      pull_requests: prs,
      check_suite: {
        ...suite,
        id: o.checkSuiteId ?? run.id + 500_000,
        head_sha: run.head_sha,
        head_branch: o.headBranch ?? null,
        app: appObject(repo, o.appId),
        pull_requests: prs,
      },
    },
  };
  if (o.action === "requested_action") out.requested_action = { identifier: o.requestedAction ?? "" };
  else delete out.requested_action;
  return out;
}

export function checkSuitePayload(
  repo: StandInRepo,
  o: {
    action: "requested" | "rerequested" | "completed" | (string & {});
    headSha: string;
    headBranch?: string | null;
    id?: number;
    before?: string;
    appId?: number;
    sender?: string;
    status?: string;
    conclusion?: string | null;
    pullRequests?: PullRequestRef[];
  },
): Json {
  const p = common(example("check_suite", o.action), repo, o.sender ?? "octocat");
  const base = baseUrlOf(repo);
  const cs = (p.check_suite ?? {}) as Json;
  const id = o.id ?? 700_000;
  return {
    ...p,
    action: o.action,
    check_suite: {
      ...cs,
      id,
      node_id: `CS_${id}`,
      head_sha: o.headSha,
      head_branch: o.headBranch ?? null,
      before: o.before ?? ZERO_SHA,
      after: o.headSha,
      status: o.status ?? (o.action === "completed" ? "completed" : "queued"),
      conclusion: o.conclusion ?? null,
      url: `${base}/api/v3/repos/${repo.fullName}/check-suites/${id}`,
      check_runs_url: `${base}/api/v3/repos/${repo.fullName}/check-suites/${id}/check-runs`,
      app: appObject(repo, o.appId),
      pull_requests: pullRequestRefs(repo, o.pullRequests),
    },
  };
}

let nextCommentId = 9_000_000;

export function issueCommentPayload(
  repo: StandInRepo,
  o: {
    number: number;
    body: string;
    user: string;
    isPull: boolean;
    action?: "created" | "edited" | "deleted";
    commentId?: number;
    title?: string;
    previousBody?: string;
    authorAssociation?: string;
  },
): Json {
  const action = o.action ?? "created";
  const p = common(example("issue_comment", action), repo, o.user);
  const base = baseUrlOf(repo);
  const issue = (p.issue ?? {}) as Json;
  const comment = (p.comment ?? {}) as Json;
  const id = o.commentId ?? ++nextCommentId;
  const issueApi = `${base}/api/v3/repos/${repo.fullName}/issues/${o.number}`;
  const newIssue: Json = {
    ...issue,
    id: repo.id * 1000 + o.number,
    node_id: `I_${repo.id}_${o.number}`,
    number: o.number,
    title: o.title ?? `Issue #${o.number}`,
    state: "open",
    url: issueApi,
    comments_url: `${issueApi}/comments`,
    html_url: `${repo.htmlUrl}/${o.isPull ? "pull" : "issues"}/${o.number}`,
    user: userObject(repo, "octocat"),
  };
  if (o.isPull) {
    newIssue.pull_request = {
      url: `${base}/api/v3/repos/${repo.fullName}/pulls/${o.number}`,
      html_url: `${repo.htmlUrl}/pull/${o.number}`,
      diff_url: `${repo.htmlUrl}/pull/${o.number}.diff`,
      patch_url: `${repo.htmlUrl}/pull/${o.number}.patch`,
      merged_at: null,
    };
  } else {
    delete newIssue.pull_request;
  }
  const out: Json = {
    ...p,
    action,
    issue: newIssue,
    comment: {
      ...comment,
      id,
      node_id: `IC_${id}`,
      body: o.body,
      user: userObject(repo, o.user, o.user.endsWith("[bot]") ? "Bot" : "User"),
      author_association: o.authorAssociation ?? "CONTRIBUTOR",
      url: `${base}/api/v3/repos/${repo.fullName}/issues/comments/${id}`,
      html_url: `${newIssue.html_url as string}#issuecomment-${id}`,
      issue_url: issueApi,
      created_at: "2024-01-01T00:00:00Z",
      updated_at: "2024-01-01T00:00:00Z",
    },
  };
  if (action === "edited") out.changes = { body: { from: o.previousBody ?? "" } };
  else delete out.changes;
  return out;
}

let nextDeploymentId = 8_000_000;

export function deploymentPayload(
  repo: StandInRepo,
  o: {
    sha: string;
    ref: string;
    environment: string;
    id?: number;
    task?: string;
    payload?: unknown;
    description?: string | null;
    creator?: string;
  },
): Json {
  const creator = o.creator ?? "octocat";
  const p = common(example("deployment", "created"), repo, creator);
  const base = baseUrlOf(repo);
  const d = (p.deployment ?? {}) as Json;
  const id = o.id ?? ++nextDeploymentId;
  const api = `${base}/api/v3/repos/${repo.fullName}/deployments/${id}`;
  return {
    ...p,
    action: "created",
    deployment: {
      ...d,
      id,
      node_id: `DE_${id}`,
      url: api,
      statuses_url: `${api}/statuses`,
      sha: o.sha,
      ref: o.ref,
      task: o.task ?? "deploy",
      payload: o.payload ?? {},
      environment: o.environment,
      original_environment: o.environment,
      description: o.description ?? null,
      creator: userObject(repo, creator),
      created_at: "2024-01-01T00:00:00Z",
      updated_at: "2024-01-01T00:00:00Z",
    },
  };
}

/** X-Hub-Signature-256 for `body`: "sha256=" + lowercase hex HMAC. */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export interface SentWebhook {
  status: number;
  body: string;
  headers: Record<string, string>;
  /** Set when the connection failed after it was opened (e.g. the server cut off a large body). */
  error?: string;
}

export interface SendWebhookOptions {
  event: string;
  payload: unknown;
  secret: string;
  /** Default: a random UUID. */
  id?: string;
  /** Override the signature; null omits the header. */
  signature?: string | null;
  contentType?: string;
  /** Sent instead of JSON.stringify(payload); the signature covers it. */
  rawBody?: string | Buffer;
  /** Extra headers; a null value removes a default one (e.g. "x-github-event"). */
  headers?: Record<string, string | null>;
  /** X-GitHub-Hook-Installation-Target-ID; default 1 (the stand-in's default App id). */
  appId?: number;
  timeoutMs?: number;
}

/** A real HTTP POST, as GitHub's Hookshot sends it. */
export function sendWebhook(targetUrl: string, o: SendWebhookOptions): Promise<SentWebhook> {
  const body = o.rawBody ?? JSON.stringify(o.payload);
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const headers: Record<string, string> = {
    "content-type": o.contentType ?? "application/json",
    "content-length": String(bytes.length),
    "user-agent": "GitHub-Hookshot/test",
    "x-github-event": o.event,
    "x-github-delivery": o.id ?? randomUUID(),
    "x-github-hook-id": "424242",
    "x-github-hook-installation-target-type": "integration",
    "x-github-hook-installation-target-id": String(o.appId ?? 1),
  };
  const signature = o.signature === undefined ? signBody(o.secret, bytes) : o.signature;
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  for (const [k, v] of Object.entries(o.headers ?? {})) {
    if (v === null) delete headers[k.toLowerCase()];
    else headers[k.toLowerCase()] = v;
  }
  const url = new URL(targetUrl);
  const send = url.protocol === "https:" ? httpsRequest : request;
  return new Promise((resolve, reject) => {
    let answered: SentWebhook | undefined;
    let connected = false;
    const req = send(url, { method: "POST", headers, timeout: o.timeoutMs ?? 30_000, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      const resHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) resHeaders[k] = Array.isArray(v) ? v.join(", ") : v;
      answered = { status: res.statusCode ?? 0, body: "", headers: resHeaders };
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        if (answered) resolve({ ...answered, body: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", () => {
        if (answered) resolve({ ...answered, body: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.on("socket", (s) => {
      // A kept-alive socket is connected already, and would pile up listeners that never fire.
      if (s.connecting) s.once("connect", () => (connected = true));
      else connected = true;
    });
    req.on("timeout", () => req.destroy(new Error("webhook request timed out")));
    req.on("error", (err: NodeJS.ErrnoException) => {
      // A server may answer 413 and close while the body is still being written.
      if (answered) resolve(answered);
      else if (!connected) reject(err);
      else resolve({ status: 0, body: "", headers: {}, error: err.code ?? err.message });
    });
    req.end(bytes);
  });
}

/**
 * Streams a 27 MiB body with chunked encoding (no content-length, so the 25 MiB limit
 * must be enforced while reading). Resolves with the status, or `error CODE` when the
 * server cut the connection first.
 */
export function streamOversizedWebhook(url: string | URL): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": `big-${randomUUID()}`,
        "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
        "transfer-encoding": "chunked",
      },
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < 27) {
        sent++;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}
