import type { IncomingMessage, ServerResponse } from "node:http";
import { BUILD_STATES, type BuildListCursor, type BuildListRow, isBuildState, listBuilds, listRepositories } from "../store/build-list.js";
import { age, buildDuration, stateBadge } from "./format.js";
import { escapeHtml } from "./html.js";
import { layout } from "./layout.js";
import { query, sendHtml, viewer } from "./request.js";
import type { WebDeps } from "./web-deps.js";

const PAGE_SIZE = 50;

function gitRef(b: BuildListRow): string {
  if (b.pr_number !== null) return `PR #${b.pr_number}${b.branch ? ` <span class="muted">${escapeHtml(b.branch)}</span>` : ""}`;
  return escapeHtml(b.branch ?? b.ref?.replace(/^refs\/(heads|tags)\//, "") ?? "");
}

function row(b: BuildListRow, now: number): string {
  const commit = /^https?:\/\//i.test(b.html_url)
    ? `<a href="${escapeHtml(`${b.html_url}/commit/${encodeURIComponent(b.sha)}`)}"><code>${escapeHtml(b.sha.slice(0, 7))}</code></a>`
    : `<code>${escapeHtml(b.sha.slice(0, 7))}</code>`;
  return `<tr data-build="${b.id}"><td>${stateBadge(b)}</td><td><a href="/builds/${b.id}">${escapeHtml(b.pipeline)} <span class="muted">#${b.id}</span></a></td><td>${escapeHtml(b.repository)}${b.private ? ` <span class="muted">(private)</span>` : ""}</td><td>${gitRef(b)}</td><td>${commit}</td><td>${escapeHtml(b.event)}${b.sender ? ` <span class="muted">by ${escapeHtml(b.sender)}</span>` : ""}</td><td>${escapeHtml(buildDuration(b, now))}</td><td title="${new Date(b.queued_at).toISOString()}">${escapeHtml(age(b.queued_at, now))}</td></tr>`;
}

/**
 * `GET /`: recent builds, newest first, filterable by repository and state, in keyset
 * pages (`?before=<id>` / `?after=<id>`). Private repositories' builds only for the admin.
 */
export function dashboard(deps: WebDeps) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const q = query(req);
    const who = viewer(deps, req);
    const repository = q.get("repository") || null;
    const stateParam = q.get("status") ?? "";
    const state = isBuildState(stateParam) ? stateParam : null;
    const before = q.get("before") ?? "";
    const after = q.get("after") ?? "";
    const cursor: BuildListCursor = /^\d{1,15}$/.test(before) ? { before: Number(before) } : /^\d{1,15}$/.test(after) ? { after: Number(after) } : null;
    const [page, repositories] = await Promise.all([
      listBuilds(deps.store.db, { repository, state, includePrivate: who.admin }, cursor, PAGE_SIZE),
      listRepositories(deps.store.db, who.admin),
    ]);
    const now = deps.clock.now();

    const keep = new URLSearchParams();
    if (repository) keep.set("repository", repository);
    if (state) keep.set("status", state);
    const pageLink = (key: "before" | "after", id: number) => {
      const p = new URLSearchParams(keep);
      p.set(key, String(id));
      return `/?${p.toString()}`;
    };
    const options = (values: string[], selected: string | null, all: string) =>
      [
        `<option value="">${all}</option>`,
        ...values.map((v) => `<option value="${escapeHtml(v)}"${v === selected ? " selected" : ""}>${escapeHtml(v.replace(/_/g, " "))}</option>`),
      ].join("");

    const filters = `<form class="filters" method="get" action="/">
<label>Repository <select name="repository">${options(repositories, repository, "all repositories")}</select></label>
<label>Status <select name="status">${options([...BUILD_STATES], state, "any status")}</select></label>
<button type="submit">Filter</button>${keep.size > 0 ? ` <a href="/">clear</a>` : ""}</form>`;
    const table = page.builds.length
      ? `<table class="list" id="builds"><tr><th>Status</th><th>Pipeline</th><th>Repository</th><th>Branch / PR</th><th>Commit</th><th>Trigger</th><th>Duration</th><th>Age</th></tr>${page.builds.map((b) => row(b, now)).join("")}</table>`
      : `<div class="empty">No builds${keep.size > 0 ? " match these filters" : " yet"}.</div>`;
    const pager = [
      page.newerThan !== null
        ? `<a href="/${keep.size ? `?${keep.toString()}` : ""}">« newest</a> <a rel="prev" href="${escapeHtml(pageLink("after", page.newerThan))}">‹ newer</a>`
        : "",
      page.olderThan !== null ? `<a rel="next" href="${escapeHtml(pageLink("before", page.olderThan))}">older ›</a>` : "",
    ].join(" ");
    const body = `<h1>Builds</h1>${filters}${table}<div class="pager">${pager}</div>`;
    sendHtml(res, 200, layout(deps.assets, { title: "Builds", body, viewer: who }));
  };
}
