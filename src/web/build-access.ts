import type { IncomingMessage, ServerResponse } from "node:http";
import { getBuild } from "../store/queue.js";
import type { Build } from "../store/schema.js";
import type { AdminAuth } from "./admin-session.js";
import { verifyBuildToken } from "./build-token.js";
import { query, sendText } from "./request.js";
import type { WebDeps } from "./web-deps.js";

/**
 * Public repositories' builds are visible to anyone; a private one only with the signed
 * link from its check run (`?token=`, the same for its page, log and events) or as admin.
 */
export function canView(build: Build, req: IncomingMessage, key: string, auth: AdminAuth): boolean {
  if (build.private === 0) return true;
  return verifyBuildToken(key, build.id, query(req).get("token")) || auth.isAdmin(req);
}

/** The build named in the path if this request may see it; otherwise answers 404 itself. */
export async function visibleBuild(deps: WebDeps, req: IncomingMessage, res: ServerResponse, id: string | undefined): Promise<Build | undefined> {
  const buildId = /^\d{1,15}$/.test(id ?? "") ? Number(id) : 0;
  const build = buildId > 0 ? await getBuild(deps.store.db, buildId) : undefined;
  // A private build without the right token looks exactly like a missing one.
  if (!build || !canView(build, req, deps.signingKey, deps.auth)) {
    sendText(res, 404, "build not found\n");
    return undefined;
  }
  return build;
}

/** `?token=…` to carry on links from a page opened with one (log, events, load earlier). */
export function tokenQuery(req: IncomingMessage): string {
  const token = query(req).get("token");
  return token ? `token=${encodeURIComponent(token)}` : "";
}
