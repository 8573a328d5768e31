import { execFile } from "node:child_process";
import { generateKeyPairSync, createSign } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { verify } from "@octokit/webhooks-methods";
import { Probot } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitEnv } from "./github/git.js";
import { TestOctokit } from "./probot-octokit.js";
import { startGitHubStandIn, type GitHubStandIn, type StandInRepo } from "./github-stand-in.js";
import { checkRunPayload, issueCommentPayload, pullRequestPayload, pushPayload, sendWebhook, signBody } from "./webhooks.js";

type Octo = Awaited<ReturnType<Probot["auth"]>>;

function probotFor(standIn: GitHubStandIn, privateKey = standIn.privateKey): Probot {
  return new Probot({
    appId: standIn.appId,
    privateKey,
    baseUrl: standIn.apiUrl,
    logLevel: "fatal",
    Octokit: TestOctokit,
  });
}

/** Runs git as Kickoff should: the token only in the environment, never in argv. */
function runGit(args: string[], cwd: string, token?: string): Promise<{ code: number; stderr: string; stdout: string }> {
  const auth: Record<string, string> = token
    ? {
        GIT_CONFIG_COUNT: "1",
        GIT_CONFIG_KEY_0: "http.extraHeader",
        GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`,
      }
    : {};
  return new Promise((resolve) => {
    execFile("git", args, { cwd, env: gitEnv(cwd, auth) }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("GitHub stand-in", () => {
  let standIn: GitHubStandIn;
  let repo: StandInRepo;
  let octokit: Octo;
  let first: string;
  let second: string;
  let work: string;

  beforeAll(async () => {
    standIn = await startGitHubStandIn();
    repo = await standIn.createRepo("acme/shop", { private: true });
    first = await repo.commit({
      branch: "main",
      files: { "README.md": "hello\n", ".github/kickoff.yml": "pipelines: {}\n", "run.sh": "#!/bin/sh\necho hi\n" },
      executable: ["run.sh"],
      message: "first",
    });
    second = await repo.commit({ branch: "main", files: { "README.md": "hello again\n" }, message: "second" });
    octokit = await probotFor(standIn).auth(repo.installationId);
    // auth() is lazy: the first request fetches the installation token.
    await octokit.rest.repos.get({ owner: "acme", repo: "shop" });
    work = await mkdtemp(path.join(os.tmpdir(), "stand-in-test-"));
  });

  afterAll(async () => {
    await standIn?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("issues installation tokens to a correctly signed App JWT", async () => {
    expect(standIn.issuedTokens()).toHaveLength(1);
    expect(standIn.issuedTokens()[0]).toMatch(/^ghs_[A-Za-z0-9]{36,}$/);
    const tokenRequest = standIn.requests.find((r) => r.path.endsWith("/access_tokens"));
    expect(tokenRequest).toMatchObject({ method: "POST", status: 201, auth: { kind: "jwt" } });
    expect(tokenRequest?.headers.authorization).toBe("bearer [redacted]");
  });

  it("rejects a JWT signed by another key with 401", async () => {
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const wrongKey = await probotFor(standIn, privateKey).auth(repo.installationId);
    await expect(wrongKey.rest.repos.get({ owner: "acme", repo: "shop" })).rejects.toMatchObject({ status: 401 });
    // And a hand-made JWT with the right key but the wrong issuer.
    const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${enc({ alg: "RS256", typ: "JWT" })}.${enc({ iss: 999, iat: now - 30, exp: now + 500 })}`;
    const sig = createSign("RSA-SHA256").update(unsigned).sign(standIn.privateKey).toString("base64url");
    const res = await fetch(`${standIn.apiUrl}/app/installations/${repo.installationId}/access_tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${unsigned}.${sig}` },
    });
    expect(res.status).toBe(401);
  });

  it("requires the repo's installation token on /repos", async () => {
    const noAuth = await fetch(`${standIn.apiUrl}/repos/acme/shop`);
    expect(noAuth.status).toBe(401);
    expect(await noAuth.json()).toMatchObject({ message: "Bad credentials" });
    const other = await standIn.createRepo("globex/site");
    const otherOcto = await probotFor(standIn).auth(other.installationId);
    await expect(otherOcto.rest.repos.get({ owner: "acme", repo: "shop" })).rejects.toMatchObject({ status: 404 });
    const { data } = await octokit.rest.repos.get({ owner: "acme", repo: "shop" });
    expect(data).toMatchObject({ full_name: "acme/shop", private: true, default_branch: "main", clone_url: repo.cloneUrl });
  });

  it("serves file contents from the bare repo at a ref", async () => {
    const { data } = await octokit.rest.repos.getContent({ owner: "acme", repo: "shop", path: "README.md", ref: first });
    if (Array.isArray(data) || data.type !== "file") throw new Error("expected a file");
    expect(Buffer.from(data.content, "base64").toString()).toBe("hello\n");
    expect(data.path).toBe("README.md");
    const latest = await octokit.rest.repos.getContent({ owner: "acme", repo: "shop", path: "README.md", mediaType: { format: "raw" } });
    expect(String(latest.data)).toBe("hello again\n");
    await expect(octokit.rest.repos.getContent({ owner: "acme", repo: "shop", path: "missing.txt", ref: second })).rejects.toMatchObject({ status: 404 });
  });

  it("compares commits and lists pull request files with git", async () => {
    const feature = await repo.commit({
      branch: "feature",
      parent: second,
      files: { "README.md": null, "docs/readme.md": "hello again\n", "src/app.ts": "export {}\n" },
      message: "feature",
    });
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ owner: "acme", repo: "shop", basehead: `${first}...${feature}` });
    expect(data).toMatchObject({ status: "ahead", ahead_by: 2, behind_by: 0, total_commits: 2 });
    expect(data.commits.map((c) => c.sha)).toEqual([second, feature]);
    const renamed = await octokit.rest.repos.compareCommitsWithBasehead({ owner: "acme", repo: "shop", basehead: `main...${feature}` });
    const files = [...(renamed.data.files ?? [])].sort((a, b) => a.filename.localeCompare(b.filename));
    expect(files.map((f) => [f.filename, f.status, f.previous_filename])).toEqual([
      ["docs/readme.md", "renamed", "README.md"],
      ["src/app.ts", "added", undefined],
    ]);
    await expect(octokit.rest.repos.compareCommitsWithBasehead({ owner: "acme", repo: "shop", basehead: `${first}...${"f".repeat(40)}` })).rejects.toMatchObject({ status: 404 });

    repo.pull(7, { baseBranch: "main", headSha: feature, headRef: "feature" });
    const all = await octokit.paginate(octokit.rest.pulls.listFiles, { owner: "acme", repo: "shop", pull_number: 7, per_page: 1 });
    expect(all.map((f) => f.filename).sort()).toEqual(["docs/readme.md", "src/app.ts"]);
    const pr = await octokit.rest.pulls.get({ owner: "acme", repo: "shop", pull_number: 7 });
    expect(pr.data.head).toMatchObject({ sha: feature, ref: "feature" });
    expect(pr.data.base).toMatchObject({ sha: second, ref: "main" });
  });

  it("creates, updates and lists check runs like GitHub", async () => {
    const created = await octokit.rest.checks.create({
      owner: "acme",
      repo: "shop",
      name: "test",
      head_sha: second,
      external_id: "42",
      status: "queued",
      details_url: "http://localhost:3000/builds/42",
      actions: [{ label: "Cancel", description: "Cancel this build", identifier: "cancel" }],
    });
    expect(created.status).toBe(201);
    const id = created.data.id;
    const annotation = (line: number): { path: string; start_line: number; end_line: number; annotation_level: "failure"; message: string } => ({
      path: "src/app.ts",
      start_line: line,
      end_line: line,
      annotation_level: "failure",
      message: `bad ${line}`,
    });
    await octokit.rest.checks.update({ owner: "acme", repo: "shop", check_run_id: id, status: "in_progress" });
    await octokit.rest.checks.update({
      owner: "acme",
      repo: "shop",
      check_run_id: id,
      conclusion: "failure",
      output: { title: "Failed (exit 1) in 3s", summary: "s", annotations: [annotation(1), annotation(2)] },
    });
    await octokit.rest.checks.update({
      owner: "acme",
      repo: "shop",
      check_run_id: id,
      output: { title: "Failed (exit 1) in 3s", summary: "s", annotations: [annotation(3)] },
    });
    const [run] = standIn.checkRuns("acme/shop", second);
    expect(run).toMatchObject({ id, name: "test", status: "completed", conclusion: "failure", external_id: "42" });
    expect(run?.output.annotations.map((a) => a.start_line)).toEqual([1, 2, 3]);
    expect(standIn.checkRunHistory(id).map((r) => r.status)).toEqual(["queued", "in_progress", "completed", "completed"]);

    await octokit.rest.checks.create({ owner: "acme", repo: "shop", name: "test", head_sha: second, status: "in_progress" });
    const latest = await octokit.rest.checks.listForRef({ owner: "acme", repo: "shop", ref: "main", check_name: "test" });
    expect(latest.data.total_count).toBe(1);
    expect(latest.data.check_runs[0]?.status).toBe("in_progress");
    const all = await octokit.rest.checks.listForRef({ owner: "acme", repo: "shop", ref: second, filter: "all" });
    expect(all.data.total_count).toBe(2);
    const one = await octokit.rest.checks.get({ owner: "acme", repo: "shop", check_run_id: id });
    expect(one.data.output.annotations_count).toBe(3);

    // GitHub accepts moving a completed run back; the history shows it happened.
    await octokit.rest.checks.update({ owner: "acme", repo: "shop", check_run_id: id, status: "in_progress" });
    expect(
      standIn
        .checkRunHistory(id)
        .map((r) => r.status)
        .slice(-2),
    ).toEqual(["completed", "in_progress"]);
  });

  it("validates check runs with GitHub's limits (422)", async () => {
    const base = { owner: "acme", repo: "shop", name: "lint", head_sha: second } as const;
    await expect(octokit.rest.checks.create({ ...base, conclusion: "success", output: { title: "t", summary: "x".repeat(65536) } })).rejects.toMatchObject({ status: 422 });
    // The limit is in bytes: 21,846 three-byte characters are 65,538 bytes.
    await expect(octokit.rest.checks.create({ ...base, conclusion: "success", output: { title: "t", summary: "€".repeat(21846) } })).rejects.toMatchObject({ status: 422 });
    const ok = await octokit.rest.checks.create({ ...base, conclusion: "success", output: { title: "t", summary: "x".repeat(65535) } });
    expect(ok.data.status).toBe("completed");
    const many = Array.from({ length: 51 }, (_, i) => ({
      path: "a",
      start_line: i + 1,
      end_line: i + 1,
      annotation_level: "notice" as const,
      message: "m",
    }));
    await expect(octokit.rest.checks.create({ ...base, output: { title: "t", summary: "s", annotations: many } })).rejects.toMatchObject({
      status: 422,
    });
    await expect(
      octokit.rest.checks.create({
        ...base,
        output: { title: "t", summary: "s", annotations: [{ path: "a", start_line: 1, end_line: 2, start_column: 1, annotation_level: "notice", message: "m" }] },
      }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(octokit.rest.checks.create({ ...base, status: "completed" })).rejects.toMatchObject({ status: 422 });
    await expect(octokit.rest.checks.create({ ...base, head_sha: "a".repeat(40) })).rejects.toMatchObject({ status: 422 });
    await expect(octokit.rest.checks.create({ ...base, actions: [{ label: "x".repeat(21), description: "d", identifier: "i" }] })).rejects.toMatchObject({ status: 422 });
  });

  it("injects faults and recovers", async () => {
    standIn.fail({ method: "POST", path: /\/check-runs$/, status: 500, times: 1 });
    standIn.fail({ path: /\/repos\/acme\/shop$/, status: 403, times: 1, headers: { "retry-after": "1", "x-test": "yes" } });
    const create = (): ReturnType<Octo["rest"]["checks"]["create"]> => octokit.rest.checks.create({ owner: "acme", repo: "shop", name: "flaky", head_sha: second });
    await expect(create()).rejects.toMatchObject({ status: 500 });
    expect((await create()).status).toBe(201);
    const limited = await octokit.rest.repos.get({ owner: "acme", repo: "shop" }).catch((e: { status: number; response?: { headers: Record<string, string> } }) => e);
    expect(limited).toMatchObject({ status: 403, response: { headers: { "retry-after": "1", "x-test": "yes" } } });

    // Throttling is off in TestOctokit, so a primary rate limit surfaces at once.
    standIn.fail({ path: /\/repos\/acme\/shop$/, status: 403, times: 1, headers: { "x-ratelimit-remaining": "0" } });
    await expect(octokit.rest.repos.get({ owner: "acme", repo: "shop" })).rejects.toMatchObject({ status: 403 });

    standIn.fail({ path: /\/hang-me$/, status: "hang" });
    standIn.fail({ path: /\/reset-me$/, status: "reset" });
    await expect(fetch(`${standIn.apiUrl}/hang-me`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    await expect(fetch(`${standIn.apiUrl}/reset-me`)).rejects.toThrow();
    standIn.clearFailures();
    expect(standIn.requests.filter((r) => r.fault !== undefined).map((r) => r.fault)).toEqual([500, 403, 403, "hang", "reset"]);
  });

  it("answers unknown routes with a recorded 404", async () => {
    await expect(octokit.request("GET /repos/{owner}/{repo}/branches", { owner: "acme", repo: "shop" })).rejects.toMatchObject({
      status: 404,
    });
    expect(standIn.requests.at(-1)).toMatchObject({ path: "/api/v3/repos/acme/shop/branches", status: 404 });
  });

  it("serves git clone and fetch-by-sha over HTTP with the token in the environment only", async () => {
    const token = standIn.issuedTokens()[0] ?? "";
    expect(standIn.requests.find((r) => r.status === 201 && r.path.endsWith("/access_tokens"))?.path).toContain(`/${repo.installationId}/`);
    const denied = await runGit(["clone", "--quiet", repo.cloneUrl, "denied"], work);
    expect(denied.code).not.toBe(0);
    expect(standIn.requests.at(-1)).toMatchObject({ kind: "git", status: 401 });

    const cloned = await runGit(["clone", "--quiet", repo.cloneUrl, "clone"], work, token);
    expect(cloned.stderr).toBe("");
    const dir = path.join(work, "clone");
    expect(await readFile(path.join(dir, "README.md"), "utf8")).toBe("hello again\n");
    expect((await runGit(["rev-parse", "HEAD"], dir)).stdout.trim()).toBe(second);
    expect((await runGit(["ls-files", "-s", "run.sh"], dir)).stdout).toMatch(/^100755 /);

    // A commit no branch points at, fetched by sha the way a checkout of a pull request does.
    const orphan = await repo.commit({ branch: "tmp", parent: first, files: { "x.txt": "x\n" } });
    await repo.deleteBranch("tmp");
    const fetched = await runGit(["fetch", "--quiet", "--depth=1", "origin", orphan], dir, token);
    expect(fetched).toMatchObject({ code: 0, stderr: "" });
    expect((await runGit(["rev-parse", "FETCH_HEAD"], dir)).stdout.trim()).toBe(orphan);

    // Protocol v0 clients get the service announcement before the refs, as from GitHub.
    const v0 = await runGit(["-c", "protocol.version=0", "clone", "--quiet", repo.cloneUrl, "clone-v0"], work, token);
    expect(v0).toMatchObject({ code: 0, stderr: "" });
    expect((await runGit(["rev-parse", "HEAD"], path.join(work, "clone-v0"))).stdout.trim()).toBe(second);

    const gitRequests = standIn.requests.filter((r) => r.kind === "git" && r.status === 200);
    expect(gitRequests.length).toBeGreaterThan(0);
    expect(gitRequests.every((r) => r.auth.user === "x-access-token" && r.auth.kind === "installation-token")).toBe(true);
    expect(JSON.stringify(standIn.requests)).not.toContain(token);
  });

  it("refuses push and handles gzip-encoded upload-pack requests", async () => {
    const token = standIn.issuedTokens()[0] ?? "";
    const authorization = `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
    const push = await fetch(`${repo.cloneUrl}/info/refs?service=git-receive-pack`, { headers: { authorization } });
    expect(push.status).toBe(403);
    // Protocol v2 ls-refs, gzipped as git does for large requests.
    const res = await fetch(`${repo.cloneUrl}/git-upload-pack`, {
      method: "POST",
      headers: {
        authorization,
        "content-type": "application/x-git-upload-pack-request",
        "content-encoding": "gzip",
        "git-protocol": "version=2",
      },
      body: gzipSync(Buffer.from("0014command=ls-refs\n0000")),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`${second} refs/heads/main`);
  });

  it("moves a fork's commit into the base repo for refs/pull/N/head", async () => {
    const fork = await standIn.createRepo("mallory/shop", { installationId: 999 });
    const forkSha = await fork.commit({ branch: "evil", parent: second, files: { "x.sh": "echo pwned\n" } });
    await fork.setRef(`refs/heads/evil`, forkSha); // no-op but must not fail
    repo.pull(8, { baseBranch: "main", headSha: forkSha, headRef: "evil", fork: { fullName: fork.fullName, cloneUrl: fork.cloneUrl } });
    const files = await octokit.rest.pulls.listFiles({ owner: "acme", repo: "shop", pull_number: 8 });
    expect(files.data.map((f) => f.filename)).toEqual(["x.sh"]);
    const check = await octokit.rest.checks.create({
      owner: "acme",
      repo: "shop",
      name: "test",
      head_sha: forkSha,
      conclusion: "action_required",
      output: { title: "Approval needed", summary: "s" },
    });
    expect(check.status).toBe(201);
  });

  it("records comments, reactions, permissions and deployments", async () => {
    repo.setPermission("alice", "maintain");
    repo.setPermission("bob", "read");
    const alice = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: "acme", repo: "shop", username: "alice" });
    expect(alice.data).toMatchObject({ permission: "write", role_name: "maintain", user: { login: "alice" } });
    await expect(octokit.rest.repos.getCollaboratorPermissionLevel({ owner: "acme", repo: "shop", username: "nobody" })).rejects.toMatchObject({ status: 404 });

    await octokit.rest.issues.createComment({ owner: "acme", repo: "shop", issue_number: 7, body: "Only writers can run builds." });
    await octokit.rest.reactions.createForIssueComment({ owner: "acme", repo: "shop", comment_id: 123, content: "eyes" });
    expect(standIn.comments("acme/shop", 7).map((c) => c.body)).toEqual(["Only writers can run builds."]);
    expect(standIn.reactions("acme/shop")).toMatchObject([{ commentId: 123, content: "eyes" }]);

    const d = await octokit.rest.repos.createDeployment({ owner: "acme", repo: "shop", ref: "main", environment: "production", auto_merge: false, required_contexts: [] });
    if (d.status !== 201) throw new Error("expected 201");
    await octokit.rest.repos.createDeploymentStatus({ owner: "acme", repo: "shop", deployment_id: d.data.id, state: "in_progress", log_url: "http://localhost/builds/1" });
    await octokit.rest.repos.createDeploymentStatus({ owner: "acme", repo: "shop", deployment_id: d.data.id, state: "success" });
    const [dep] = standIn.deployments("acme/shop");
    expect(dep).toMatchObject({ sha: second, environment: "production", auto_merge: false, required_contexts: [] });
    expect(dep?.statuses.map((s) => s.state)).toEqual(["in_progress", "success"]);
    const listed = await octokit.rest.repos.listDeployments({ owner: "acme", repo: "shop", sha: second, environment: "production" });
    expect(listed.data).toHaveLength(1);
  });

  it("lists hook deliveries with cursor pagination and records redeliveries", async () => {
    const seeded = standIn.addHookDeliveries(
      Array.from({ length: 5 }, (_, i) => ({
        delivered_at: `2024-01-0${i + 1}T00:00:00Z`,
        status_code: i % 2 ? 500 : 200,
        event: "push",
      })),
    );
    const app = probotFor(standIn);
    const appOcto = await app.auth();
    const all = await appOcto.paginate("GET /app/hook/deliveries", { per_page: 2 });
    expect(all.map((d) => d.id)).toEqual(seeded.map((d) => d.id).reverse());
    const failed = all.filter((d) => d.status_code >= 400);
    for (const d of failed) await appOcto.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: d.id });
    expect(standIn.redeliveryAttempts()).toEqual(failed.map((d) => d.id));
  });

  it("waitFor reports recent requests on timeout", async () => {
    await expect(standIn.waitFor(() => false, { timeoutMs: 60, message: "never" })).rejects.toThrow(/never[\s\S]*Recent requests[\s\S]*GET \/api\/v3/);
    let n = 0;
    await expect(standIn.waitFor(() => (++n > 3 ? n : undefined))).resolves.toBe(4);
  });
});

describe("webhook helpers", () => {
  let standIn: GitHubStandIn;
  let repo: StandInRepo;

  beforeAll(async () => {
    standIn = await startGitHubStandIn({ appId: 77 });
    repo = await standIn.createRepo("acme/api");
  });
  afterAll(async () => standIn?.close());

  it("signs with GitHub's test vector", () => {
    expect(signBody("It's a Secret to Everybody", "Hello, World!")).toBe("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  });

  it("builds payloads carrying the stand-in repo and installation", () => {
    const sha = "a".repeat(40);
    const push = pushPayload(repo, { ref: "refs/heads/main", before: "0".repeat(40), after: sha, message: "hi [skip ci]" });
    expect(push).toMatchObject({
      ref: "refs/heads/main",
      created: true,
      deleted: false,
      forced: false,
      installation: { id: repo.installationId },
      repository: { id: repo.id, full_name: "acme/api", owner: { login: "acme" }, clone_url: repo.cloneUrl, default_branch: "main", private: false },
      head_commit: { id: sha, message: "hi [skip ci]" },
    });
    expect(JSON.stringify(push)).not.toContain("github.com");
    const deleted = pushPayload(repo, { ref: "refs/heads/old", before: sha, after: "0".repeat(40) });
    expect(deleted).toMatchObject({ deleted: true, head_commit: null, commits: [] });

    const pr = pullRequestPayload(repo, {
      action: "synchronize",
      number: 3,
      headSha: sha,
      headRef: "feat",
      baseRef: "main",
      baseSha: "b".repeat(40),
      fork: { fullName: "eve/api", cloneUrl: "http://x/eve/api.git" },
    });
    expect(pr).toMatchObject({
      action: "synchronize",
      number: 3,
      pull_request: {
        number: 3,
        state: "open",
        head: { sha, ref: "feat", repo: { full_name: "eve/api", fork: true, clone_url: "http://x/eve/api.git" } },
        base: { ref: "main", repo: { id: repo.id, full_name: "acme/api" } },
      },
    });
    const comment = issueCommentPayload(repo, { number: 3, body: "/kickoff run", user: "alice", isPull: true });
    expect(comment).toMatchObject({ action: "created", issue: { number: 3, pull_request: {} }, comment: { body: "/kickoff run", user: { login: "alice" } } });
    expect(issueCommentPayload(repo, { number: 4, body: "x", user: "a", isPull: false }).issue).not.toHaveProperty("pull_request");
    const cr = checkRunPayload(repo, { action: "requested_action", run: { id: 5, name: "test", head_sha: sha }, requestedAction: "approve" });
    expect(cr).toMatchObject({ requested_action: { identifier: "approve" }, check_run: { id: 5, app: { id: 77 } } });
  });

  it("delivers a signed POST with GitHub's headers", async () => {
    const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(202, { "x-test": "yes" }).end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
      const payload = pushPayload(repo, { ref: "refs/heads/main", before: "0".repeat(40), after: "c".repeat(40) });
      const sent = await sendWebhook(url, { event: "push", payload, secret: "s3cret", id: "d-1" });
      expect(sent).toMatchObject({ status: 202, body: "ok", headers: { "x-test": "yes" } });
      const [got] = received;
      expect(got?.headers).toMatchObject({
        "x-github-event": "push",
        "x-github-delivery": "d-1",
        "user-agent": "GitHub-Hookshot/test",
        "content-type": "application/json",
      });
      expect(await verify("s3cret", got?.body ?? "", String(got?.headers["x-hub-signature-256"]))).toBe(true);
      await sendWebhook(url, { event: "push", payload, secret: "s3cret", signature: null, headers: { "x-github-event": null } });
      expect(received[1]?.headers).not.toHaveProperty("x-hub-signature-256");
      expect(received[1]?.headers).not.toHaveProperty("x-github-event");
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
