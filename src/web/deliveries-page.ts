import type { IncomingMessage, ServerResponse } from "node:http";
import { type AuditBuild, buildsOfDeliveries, type DeliveryCursor, listDeliveries, listRejections } from "../store/delivery-audit.js";
import { stateBadge, timeTag } from "./format.js";
import { escapeHtml } from "./html.js";
import { layout } from "./layout.js";
import { query, sendHtml, viewer } from "./request.js";
import type { WebDeps } from "./web-deps.js";

const PAGE_SIZE = 100;
const REJECTIONS_SHOWN = 50;

function parseCursor(text: string | null): DeliveryCursor | null {
  const m = /^(\d{1,15})\.(.{1,200})$/.exec(text ?? "");
  return m ? { receivedAt: Number(m[1]), id: m[2] ?? "" } : null;
}

/**
 * `GET /deliveries` (admin only): the audit log. Every stored delivery with what it led
 * to (the planner's outcome and links to the builds it created), and the latest
 * requests refused before storing (bad signature and the like).
 */
export function deliveriesPage(deps: WebDeps) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const who = viewer(deps, req);
    if (!who.admin) {
      const body = `<h1>Deliveries</h1><p class="notice">The audit log is for the admin. ${deps.auth.enabled ? `<a href="/login">Log in</a> first.` : "Set KICKOFF_ADMIN_TOKEN to use it."}</p>`;
      sendHtml(res, 401, layout(deps.assets, { title: "Deliveries", body, viewer: who }));
      return;
    }
    const q = query(req);
    const only = q.get("delivery");
    const before = parseCursor(q.get("before"));
    const rows = await listDeliveries(deps.store.db, { before, id: only, limit: PAGE_SIZE });
    const [builds, rejections] = await Promise.all([
      buildsOfDeliveries(
        deps.store.db,
        rows.map((r) => r.id),
      ),
      only === null && before === null ? listRejections(deps.store.db, REJECTIONS_SHOWN) : Promise.resolve([]),
    ]);
    const byDelivery = new Map<string, AuditBuild[]>();
    for (const b of builds) if (b.trigger_delivery !== null) byDelivery.set(b.trigger_delivery, [...(byDelivery.get(b.trigger_delivery) ?? []), b]);

    const table = rows.length
      ? `<table class="list" id="deliveries"><tr><th>Received</th><th>Event</th><th>Repository</th><th>Delivery</th><th>Sender</th><th>Signature</th><th>Status</th><th>What it led to</th></tr>${rows
          .map((d) => {
            const led = (byDelivery.get(d.id) ?? []).map((b) => `<a href="/builds/${b.id}">${escapeHtml(b.pipeline)} #${b.id}</a> ${stateBadge(b)}`).join("<br>");
            return `<tr data-delivery="${escapeHtml(d.id)}"><td>${timeTag(d.received_at)}</td><td>${escapeHtml(d.event)}${d.action ? `<span class="muted">.${escapeHtml(d.action)}</span>` : ""}</td><td>${escapeHtml(d.repository ?? "")}</td><td><code>${escapeHtml(d.id)}</code></td><td>${escapeHtml(d.sender ?? "")}</td><td>valid</td><td>${escapeHtml(d.status)}${d.attempts > 1 ? ` <span class="muted">(${d.attempts} attempts)</span>` : ""}${d.error ? `<br><span class="muted">${escapeHtml(d.error)}</span>` : ""}</td><td>${escapeHtml(d.outcome ?? (d.status === "done" ? "" : "not planned yet"))}${led ? `<br>${led}` : ""}</td></tr>`;
          })
          .join("")}</table>`
      : `<div class="empty">No deliveries${only !== null ? " with that id" : ""}.</div>`;
    const last = rows.at(-1);
    const pager =
      rows.length === PAGE_SIZE && last
        ? `<div class="pager"><a rel="next" href="/deliveries?before=${encodeURIComponent(`${last.received_at}.${last.id}`)}">older ›</a></div>`
        : "";
    const refused = rejections.length
      ? `<h2>Refused requests <small class="muted">latest ${rejections.length}; nothing of them was stored or run</small></h2><table class="list" id="rejections"><tr><th>Received</th><th>Event</th><th>Delivery</th><th>Answer</th><th>Signature / reason</th><th>From</th></tr>${rejections
          .map(
            (r) =>
              `<tr><td>${timeTag(r.received_at)}</td><td>${escapeHtml(r.event ?? "")}</td><td><code>${escapeHtml(r.delivery ?? "")}</code></td><td>${r.status}</td><td>${escapeHtml(r.reason)}</td><td>${escapeHtml(r.remote_address ?? "")}</td></tr>`,
          )
          .join("")}</table>`
      : "";
    const body = `<h1>Deliveries</h1>${only !== null ? `<p><a href="/deliveries">all deliveries</a></p>` : ""}${table}${pager}${refused}`;
    sendHtml(res, 200, layout(deps.assets, { title: "Deliveries", body, viewer: who }));
  };
}
