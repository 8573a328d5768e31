import type { IncomingMessage, ServerResponse } from "node:http";
import type { KickoffMetrics } from "../observability/metrics.js";
import type { Store } from "../store/database.js";
import { cancelBuild, rerunBuild } from "./build-actions.js";
import { buildEvents } from "./build-events.js";
import { buildPage, earlierLog, rawLog } from "./build-routes.js";
import { dashboard } from "./dashboard.js";
import { deliveriesPage } from "./deliveries-page.js";
import type { Route } from "./http-server.js";
import { login, loginForm, logout } from "./login-routes.js";
import { sendText } from "./request.js";
import type { WebDeps } from "./web-deps.js";

export async function healthz(_req: IncomingMessage, res: ServerResponse): Promise<void> {
  sendText(res, 200, "ok\n");
}

export function readyz(deps: { store: Store }) {
  return async (_req: IncomingMessage, res: ServerResponse) => {
    const ready = await deps.store.ready();
    sendText(res, ready ? 200 : 503, ready ? "ready\n" : "database unreachable or not migrated\n");
  };
}

export function metricsRoute(metrics: KickoffMetrics) {
  return async (_req: IncomingMessage, res: ServerResponse) => {
    const text = await metrics.scrape();
    res.writeHead(200, { "content-type": metrics.contentType, "cache-control": "no-store" });
    res.end(text);
  };
}

/** Every page and endpoint but the webhook. */
export function webRoutes(deps: WebDeps, metrics: KickoffMetrics): Route[] {
  return [
    { method: "GET", path: "/", handler: dashboard(deps) },
    { method: "GET", path: "/builds/:id", handler: buildPage(deps) },
    { method: "GET", path: "/builds/:id/log", handler: rawLog(deps) },
    { method: "GET", path: "/builds/:id/log/earlier", handler: earlierLog(deps) },
    { method: "GET", path: "/builds/:id/events", handler: buildEvents(deps) },
    { method: "POST", path: "/builds/:id/cancel", handler: cancelBuild(deps) },
    { method: "POST", path: "/builds/:id/rerun", handler: rerunBuild(deps) },
    { method: "GET", path: "/deliveries", handler: deliveriesPage(deps) },
    { method: "GET", path: "/login", handler: loginForm(deps) },
    { method: "POST", path: "/login", handler: login(deps) },
    { method: "POST", path: "/logout", handler: logout(deps) },
    { method: "GET", path: "/assets/:name", handler: deps.assets.handler() },
    { method: "GET", path: "/healthz", handler: healthz },
    { method: "GET", path: "/readyz", handler: readyz(deps) },
    { method: "GET", path: "/metrics", handler: metricsRoute(metrics) },
  ];
}
