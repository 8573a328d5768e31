// A GitHub stand-in for end-to-end tests: a real HTTP server on 127.0.0.1 serving the
// REST endpoints Kickoff uses (under /api/v3, as GitHub Enterprise does, so Probot's
// GHE_HOST/GHE_PROTOCOL point at it) and smart-HTTP git for real bare repositories.
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { TokenStore, generateAppKeys } from "./github/auth.js";
import { RepoImpl } from "./github/repo.js";
import { appRoutes, makeDeliveries } from "./github/routes/app.js";
import { checksRoutes } from "./github/routes/checks.js";
import { contentsRoutes } from "./github/routes/contents.js";
import { deploymentsRoutes } from "./github/routes/deployments.js";
import { issuesRoutes } from "./github/routes/issues.js";
import { GITHUB_HOOK_RANGES, metaRoutes } from "./github/routes/meta.js";
import { createStandInServer, type ActiveRule } from "./github/server.js";
import { clone, listFor, repoKey, type StandInState } from "./github/state.js";
import type { CheckRunRecord, FailRule, GitHubStandIn, RecordedRequest, StandInOptions, StandInRepo, WaitOptions } from "./github/types.js";

export type {
  Annotation,
  CheckRunRecord,
  CommitOptions,
  DeploymentRecord,
  DeploymentStatusRecord,
  FailRule,
  GitHubStandIn,
  HookDelivery,
  IssueCommentRecord,
  Permission,
  PullOptions,
  ReactionRecord,
  RecordedRequest,
  RequestAuth,
  StandInOptions,
  StandInRepo,
  WaitOptions,
} from "./github/types.js";

function describeRequests(requests: readonly RecordedRequest[], last = 25): string {
  const lines = requests.slice(-last).map((r) => {
    const q = Object.keys(r.query).length ? `?${new URLSearchParams(r.query).toString()}` : "";
    const fault = r.fault !== undefined ? ` [fault ${r.fault}]` : "";
    return `  ${r.method} ${r.path}${q} → ${r.status || "(no answer)"}${fault} auth=${r.auth.kind}`;
  });
  return lines.length ? lines.join("\n") : "  (none)";
}

export async function startGitHubStandIn(opts: StandInOptions = {}): Promise<GitHubStandIn> {
  const appId = opts.appId ?? 1;
  const { privateKey, publicKey } = generateAppKeys();
  const root = await mkdtemp(path.join(os.tmpdir(), "github-stand-in-"));
  const reposRoot = path.join(root, "repos");
  const home = path.join(root, "home");
  let counter = 1000;
  const state: StandInState = {
    appId,
    publicKey,
    baseUrl: "http://127.0.0.1:0",
    tokens: new TokenStore(),
    repos: new Map(),
    checkRuns: new Map(),
    comments: new Map(),
    reactions: new Map(),
    deployments: new Map(),
    hookDeliveries: [],
    redeliveryAttempts: [],
    hookRanges: [...GITHUB_HOOK_RANGES],
    nextId: () => ++counter,
  };
  const requests: RecordedRequest[] = [];
  const rules: ActiveRule[] = [];
  const routes = [...appRoutes(), ...contentsRoutes(), ...checksRoutes(), ...issuesRoutes(), ...deploymentsRoutes(), ...metaRoutes()];
  const { server, sockets } = createStandInServer({ state, routes, requests, rules, home });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  state.baseUrl = url;
  // Installations belong to accounts, so repos of one owner share one by default.
  const ownerInstallations = new Map<string, number>();
  let nextInstallation = 100;
  let nextRepoId = 5000;
  let closed = false;

  const repo = (fullName: string): RepoImpl => {
    const found = state.repos.get(fullName.toLowerCase());
    if (!found) throw new Error(`stand-in has no repo ${fullName}`);
    return found;
  };

  const standIn: GitHubStandIn = {
    url,
    host: `127.0.0.1:${port}`,
    apiUrl: `${url}/api/v3`,
    appId,
    privateKey,
    requests,

    async createRepo(fullName, o = {}) {
      const [owner = "", name = ""] = fullName.split("/");
      if (state.repos.has(repoKey(owner, name))) throw new Error(`repo ${fullName} already exists`);
      const ownerKey = owner.toLowerCase();
      const installationId = o.installationId ?? ownerInstallations.get(ownerKey) ?? ++nextInstallation;
      if (!ownerInstallations.has(ownerKey)) ownerInstallations.set(ownerKey, installationId);
      const r = new RepoImpl({
        fullName,
        id: ++nextRepoId,
        private: o.private ?? false,
        defaultBranch: o.defaultBranch ?? "main",
        installationId,
        appId,
        baseUrl: url,
        reposRoot,
        home,
        siblings: () => state.repos.values(),
      });
      await r.init();
      state.repos.set(repoKey(owner, name), r);
      return r;
    },

    repo: (fullName): StandInRepo => repo(fullName),

    checkRuns(fullName, sha) {
      const name = repo(fullName).fullName;
      return [...state.checkRuns.values()]
        .filter((s) => s.repo === name && (sha === undefined || s.run.head_sha === sha))
        .sort((a, b) => a.run.id - b.run.id)
        .map((s) => clone(s.run));
    },

    checkRunHistory(id): CheckRunRecord[] {
      return clone(state.checkRuns.get(id)?.history ?? []);
    },

    comments(fullName, number) {
      const list = listFor(state.comments, repo(fullName).fullName);
      return clone(number === undefined ? list : list.filter((c) => c.number === number));
    },

    reactions: (fullName) => clone(listFor(state.reactions, repo(fullName).fullName)),

    deployments: (fullName) => clone(listFor(state.deployments, repo(fullName).fullName)),

    addHookDeliveries: (items) => clone(makeDeliveries(state, items)),

    redeliveryAttempts: () => [...state.redeliveryAttempts],

    setHookRanges(ranges) {
      state.hookRanges = [...ranges];
    },

    async waitFor<T>(fn: () => T | undefined | false | null, o: WaitOptions = {}): Promise<T> {
      const deadline = Date.now() + (o.timeoutMs ?? 10_000);
      let lastError: unknown;
      for (;;) {
        try {
          const v = fn();
          if (v !== undefined && v !== false && v !== null) return v;
        } catch (err) {
          // An assertion inside fn may fail until the awaited state arrives.
          lastError = err;
        }
        if (Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const why = lastError instanceof Error ? `\nLast error: ${lastError.message}` : "";
      throw new Error(`${o.message ?? "waitFor timed out"} (after ${o.timeoutMs ?? 10_000} ms)${why}\nRecent requests to the GitHub stand-in:\n${describeRequests(requests)}`);
    },

    fail(rule: FailRule) {
      rules.push({ rule, remaining: rule.times ?? Number.POSITIVE_INFINITY });
    },

    clearFailures() {
      rules.splice(0);
    },

    issuedTokens: () => state.tokens.all(),

    async close() {
      for (const r of state.repos.values()) r.objects.close();
      if (closed) return;
      closed = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      // Hung requests and keep-alive clients would otherwise hold close() open forever.
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await done;
      await rm(root, { recursive: true, force: true });
    },
  };
  return standIn;
}
