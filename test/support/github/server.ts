import { randomUUID } from "node:crypto";
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { authenticate } from "./auth.js";
import { parseGitPath, runUploadPack } from "./git-http.js";
import { DOCS, HttpError, flatHeaders, matchRoute, notFound, readBody, type Reply, type Route } from "./http.js";
import { repoKey, type StandInState } from "./state.js";
import type { FailRule, RecordedRequest } from "./types.js";

interface ActiveRule {
  rule: FailRule;
  remaining: number;
}

export interface ServerDeps {
  state: StandInState;
  routes: readonly Route<StandInState>[];
  requests: RecordedRequest[];
  rules: ActiveRule[];
  home: string;
}

export type { ActiveRule };

function commonHeaders(): Record<string, string> {
  return {
    "x-github-request-id": randomUUID(),
    "x-github-media-type": "github.v3; format=json",
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-ratelimit-used": "1",
    // One second ahead: a test injecting `x-ratelimit-remaining: 0` must not make a
    // throttling client (Probot's installation clients throttle) wait for an hour.
    "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 1),
    "x-ratelimit-resource": "core",
  };
}

function send(res: ServerResponse, reply: Reply): number {
  const headers = { ...commonHeaders(), ...reply.headers };
  if (reply.raw) {
    res.writeHead(reply.status, { ...headers, "content-type": reply.raw.contentType });
    res.end(reply.raw.body);
  } else if (reply.json === undefined || reply.status === 204) {
    res.writeHead(reply.status, headers);
    res.end();
  } else {
    res.writeHead(reply.status, { ...headers, "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(reply.json));
  }
  return reply.status;
}

function errorReply(err: unknown): Reply {
  if (err instanceof HttpError) {
    return { status: err.status, json: { message: err.message, documentation_url: DOCS, ...err.extra }, headers: err.headers };
  }
  // A bug in the stand-in must surface in the test, not look like a GitHub answer.
  const message = err instanceof Error ? `stand-in error: ${err.stack ?? err.message}` : String(err);
  return { status: 500, json: { message } };
}

function takeRule(rules: ActiveRule[], method: string, pathname: string): FailRule | undefined {
  for (const active of rules) {
    const { rule } = active;
    if (active.remaining <= 0) continue;
    if (rule.method && rule.method.toUpperCase() !== method) continue;
    if (rule.path) {
      rule.path.lastIndex = 0;
      if (!rule.path.test(pathname)) continue;
    }
    active.remaining -= 1;
    return rule;
  }
  return undefined;
}

export function createStandInServer(deps: ServerDeps): { server: Server; sockets: Set<Socket> } {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, errorReply(err));
      else res.destroy();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return { server, sockets };
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { state } = deps;
  const method = (req.method ?? "GET").toUpperCase();
  const url = new URL(req.url ?? "/", state.baseUrl);
  const pathname = url.pathname;
  const headers = flatHeaders(req);
  const creds = authenticate(headers.authorization, state.tokens, state.publicKey, state.appId);
  if (creds.redacted !== undefined) headers.authorization = creds.redacted;
  const git = parseGitPath(pathname);
  const isApi = pathname === "/api/v3" || pathname.startsWith("/api/v3/");
  const rec: RecordedRequest = {
    method,
    path: pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body: null,
    status: 0,
    at: Date.now(),
    kind: isApi ? "api" : git ? "git" : "other",
    auth: creds.auth,
  };
  deps.requests.push(rec);
  const raw = await readBody(req);
  let parseError = false;
  if (git) rec.body = { bytes: raw.length };
  else if (raw.length) {
    try {
      rec.body = JSON.parse(raw.toString("utf8")) as unknown;
    } catch {
      rec.body = raw.toString("utf8");
      parseError = true;
    }
  }

  const rule = takeRule(deps.rules, method, pathname);
  if (rule) {
    rec.fault = rule.status;
    if (rule.status === "hang") return; // the socket stays open until close()
    if (rule.status === "reset") {
      req.socket.destroy();
      return;
    }
    const body = rule.body ?? { message: STATUS_CODES[rule.status] ?? "Error", documentation_url: DOCS };
    rec.status = send(res, { status: rule.status, json: body, headers: rule.headers ?? {} });
    return;
  }

  if (git) {
    rec.status = await serveGit(deps, req, res, url, git, raw, creds.auth);
    rec.answeredAt = Date.now();
    return;
  }
  if (!isApi) {
    rec.status = send(res, errorReply(notFound()));
    return;
  }
  if (parseError) {
    rec.status = send(res, errorReply(new HttpError(400, "Problems parsing JSON")));
    return;
  }
  rec.status = send(res, await serveApi(deps, method, pathname.slice("/api/v3".length) || "/", rec, headers));
  rec.answeredAt = Date.now();
}

async function serveApi(deps: ServerDeps, method: string, apiPath: string, rec: RecordedRequest, headers: Record<string, string>): Promise<Reply> {
  const { state } = deps;
  const found = matchRoute(deps.routes, method, apiPath);
  if (!found) return errorReply(notFound());
  const { route, params } = found;
  const auth = rec.auth;
  try {
    if (route.auth === "jwt" && auth.kind !== "jwt") {
      throw new HttpError(401, "A JSON web token could not be decoded");
    }
    if ((route.auth === "repo" || route.auth === "installation") && auth.kind !== "installation-token") {
      throw new HttpError(401, "Bad credentials");
    }
    if (route.auth === "repo") {
      const repo = state.repos.get(repoKey(params.owner ?? "", params.repo ?? ""));
      // GitHub hides repositories a token cannot see behind 404, not 403.
      if (!repo || repo.installationId !== auth.installationId) throw notFound();
      await repo.settle();
    }
    return await route.handle({ method, path: apiPath, params, query: rec.query, headers, body: rec.body, auth, state });
  } catch (err) {
    return errorReply(err);
  }
}

async function serveGit(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  git: NonNullable<ReturnType<typeof parseGitPath>>,
  body: Buffer,
  auth: RecordedRequest["auth"],
): Promise<number> {
  const plain = (status: number, text: string, extra: Record<string, string> = {}): number => {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...extra });
    res.end(`${text}\n`);
    return status;
  };
  const repo = deps.state.repos.get(repoKey(git.owner, git.repo));
  const wantsPush = git.service === "git-receive-pack" || url.searchParams.get("service") === "git-receive-pack";
  if (!repo || auth.kind !== "installation-token" || auth.user !== "x-access-token" || auth.installationId !== repo.installationId) {
    // Same answer for unknown repos and bad credentials, so nothing leaks (as GitHub does).
    return plain(401, "Authentication failed", { "www-authenticate": 'Basic realm="GitHub"' });
  }
  if (wantsPush) return plain(403, "Write access to repository not granted.");
  if (git.service === "other") return plain(404, "Not Found");
  await repo.settle();
  if (git.service === "info/refs" && url.searchParams.get("service") !== "git-upload-pack") return plain(403, "Dumb HTTP is not served.");
  return runUploadPack(req, res, { home: deps.home, bareDir: repo.bareDir, service: git.service === "info/refs" ? "info/refs" : "git-upload-pack", body });
}
