import type { IncomingMessage, ServerResponse } from "node:http";
import type { Store } from "../store/database.js";
import { logSize, readLogChunks, readLogTail } from "../store/logs.js";
import { getBuild } from "../store/queue.js";
import { canView } from "./build-access.js";
import { renderBuildPage } from "./build-page.js";

export interface WebDeps {
  store: Store;
  signingKey: string;
  adminToken: string | null;
}

const PAGE_LOG_BYTES = 1024 * 1024;
const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

export function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, ...SECURITY_HEADERS });
  res.end(body);
}

export async function healthz(_req: IncomingMessage, res: ServerResponse): Promise<void> {
  send(res, 200, "text/plain; charset=utf-8", "ok\n");
}

export function readyz(deps: WebDeps) {
  return async (_req: IncomingMessage, res: ServerResponse) => {
    const ready = await deps.store.ready();
    send(res, ready ? 200 : 503, "text/plain; charset=utf-8", ready ? "ready\n" : "database unreachable or not migrated\n");
  };
}

async function visibleBuild(deps: WebDeps, req: IncomingMessage, res: ServerResponse, id: string | undefined) {
  const buildId = Number(id);
  const build = Number.isSafeInteger(buildId) && buildId > 0 ? await getBuild(deps.store.db, buildId) : undefined;
  // A private build without the right token looks exactly like a missing one.
  if (!build || !canView(build, req, deps.signingKey, deps.adminToken)) {
    send(res, 404, "text/plain; charset=utf-8", "build not found\n");
    return undefined;
  }
  return build;
}

export function buildPage(deps: WebDeps) {
  return async (req: IncomingMessage, res: ServerResponse, params: Record<string, string | undefined>) => {
    const build = await visibleBuild(deps, req, res, params.id);
    if (!build) return;
    const [chunks, total] = await Promise.all([readLogTail(deps.store.db, build.id, PAGE_LOG_BYTES), logSize(deps.store.db, build.id)]);
    let log = Buffer.concat(chunks.map((c) => c.data));
    if (log.length > PAGE_LOG_BYTES) log = log.subarray(log.length - PAGE_LOG_BYTES);
    const token = new URL(req.url ?? "/", "http://localhost").searchParams.get("token");
    const logUrl = `/builds/${build.id}/log${token ? `?token=${encodeURIComponent(token)}` : ""}`;
    send(res, 200, "text/html; charset=utf-8", renderBuildPage({ build, log: log.toString("utf8"), logBytes: total, shownBytes: log.length, logUrl }));
  };
}

/** The whole raw log, streamed chunk by chunk so a 100 MB log never sits in memory. */
export function rawLog(deps: WebDeps) {
  return async (req: IncomingMessage, res: ServerResponse, params: Record<string, string | undefined>) => {
    const build = await visibleBuild(deps, req, res, params.id);
    if (!build) return;
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS });
    let after = -1;
    for (;;) {
      const chunks = await readLogChunks(deps.store.db, build.id, after, 64);
      if (chunks.length === 0) break;
      for (const c of chunks) {
        if (!res.write(c.data)) await new Promise((r) => res.once("drain", r));
        after = c.seq;
      }
      if (res.destroyed) return;
    }
    res.end();
  };
}
