import type { Build } from "../store/schema.js";
import type { Assets } from "./assets.js";
import { age, buildDuration, buildState, stateBadge, timeTag } from "./format.js";
import { escapeHtml } from "./html.js";
import { csrfField, layout, type Viewer } from "./layout.js";
import type { LogSlice } from "./log-view.js";

export interface PageAnnotation {
  level: string;
  message: string;
  path: string | null;
  startLine: number | null;
  title: string | null;
}

export interface BuildPageData {
  build: Build;
  log: LogSlice;
  logBytes: number;
  annotations: PageAnnotation[];
  message: { label: string; text: string } | null;
  viewer: Viewer;
  now: number;
  /** `token=…` for the page's own links, or "". */
  tokenQuery: string;
}

/** Builds store their annotations as JSON; anything unexpected is left out rather than trusted. */
export function parseAnnotations(json: string | null): PageAnnotation[] {
  if (json === null) return [];
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return value.flatMap((a: unknown) => {
    if (typeof a !== "object" || a === null) return [];
    const r = a as Record<string, unknown>;
    if (typeof r.message !== "string" || typeof r.level !== "string") return [];
    return [
      {
        level: r.level,
        message: r.message,
        path: typeof r.path === "string" ? r.path : null,
        startLine: typeof r.startLine === "number" ? r.startLine : null,
        title: typeof r.title === "string" ? r.title : null,
      },
    ];
  });
}

/**
 * A link to GitHub around already-escaped `inner`, only for http(s) addresses (the
 * webhook payload said where the repository is).
 */
function githubLink(base: string, path: string, inner: string): string {
  if (!/^https?:\/\//i.test(base)) return inner;
  return `<a href="${escapeHtml(base + path)}">${inner}</a>`;
}

const segment = (s: string) => s.split("/").map(encodeURIComponent).join("/");

function withQuery(path: string, q: string): string {
  return q ? `${path}${path.includes("?") ? "&" : "?"}${q}` : path;
}

export function renderBuildPage(assets: Assets, d: BuildPageData): string {
  const { build: b, viewer, now } = d;
  const done = b.status === "done";
  const gitRef =
    b.pr_number !== null
      ? `${githubLink(b.html_url, `/pull/${b.pr_number}`, `#${b.pr_number}`)}${b.branch ? ` <span class="muted">${escapeHtml(b.branch)}</span>` : ""}`
      : b.branch
        ? githubLink(b.html_url, `/tree/${segment(b.branch)}`, escapeHtml(b.branch))
        : escapeHtml(b.ref ?? "");
  const trigger = [
    escapeHtml(b.event),
    b.sender ? `by ${escapeHtml(b.sender)}` : "",
    b.trigger_delivery && viewer.admin ? `(<a href="/deliveries?delivery=${encodeURIComponent(b.trigger_delivery)}">delivery</a>)` : "",
  ]
    .filter(Boolean)
    .join(" ");
  const wait = b.started_at !== null ? buildDuration({ ...b, finished_at: b.started_at, started_at: b.queued_at }, now) : "";
  const rows: Array<[string, string]> = [
    ["Repository", `${githubLink(b.html_url, "", escapeHtml(b.repository))}${b.private ? ` <span class="muted">(private)</span>` : ""}`],
    ["Commit", githubLink(b.html_url, `/commit/${encodeURIComponent(b.sha)}`, `<code>${escapeHtml(b.sha.slice(0, 12))}</code>`)],
    [b.pr_number !== null ? "Pull request" : "Branch", gitRef],
    ...(d.message
      ? [[d.message.label, `<span class="message" title="${escapeHtml(d.message.text)}">${escapeHtml(d.message.text.split("\n", 1)[0] ?? "")}</span>`] as [string, string]]
      : []),
    ["Trigger", trigger],
    ["Queued", `${timeTag(b.queued_at)} <span class="muted">${escapeHtml(age(b.queued_at, now))}</span>`],
    ["Started", timeTag(b.started_at) + (wait ? ` <span class="muted">after ${escapeHtml(wait)} in the queue</span>` : "")],
    ["Finished", `<span id="finished">${timeTag(b.finished_at)}</span>`],
    ["Duration", `<span id="duration">${escapeHtml(buildDuration(b, now) || "not started")}</span>`],
    ["Attempt", `${b.attempt}${b.worker_id ? ` on <code>${escapeHtml(b.worker_id)}</code>` : ""}`],
  ];
  if (b.check_run_id !== null) rows.push(["Check run", githubLink(b.html_url, `/runs/${b.check_run_id}`, `${escapeHtml(b.pipeline)} on GitHub`)]);
  if (b.superseded_by) rows.push(["Superseded by", `<code>${escapeHtml(b.superseded_by.slice(0, 12))}</code>`]);

  const actions = viewer.admin
    ? `<div class="actions">
<form method="post" action="/builds/${b.id}/cancel" id="cancel-form"${done ? " hidden" : ""}>${csrfField(viewer.csrf)}<button type="submit" class="danger">Cancel</button></form>
<form method="post" action="/builds/${b.id}/rerun" id="rerun-form"${done ? "" : " hidden"}>${csrfField(viewer.csrf)}<button type="submit">Re-run</button></form>
</div>`
    : "";

  const annotations = d.annotations.length
    ? `<h2>Annotations <small class="muted">${d.annotations.length}</small></h2>
<table class="list"><tr><th>Level</th><th>Where</th><th>Message</th></tr>${d.annotations
        .map(
          (a) =>
            `<tr><td class="level-${escapeHtml(a.level)}">${escapeHtml(a.level)}</td><td><code>${escapeHtml(a.path ? `${a.path}${a.startLine ? `:${a.startLine}` : ""}` : "")}</code></td><td>${a.title ? `<strong>${escapeHtml(a.title)}</strong> ` : ""}${escapeHtml(a.message)}</td></tr>`,
        )
        .join("")}</table>`
    : "";
  const summary = b.summary ? `<h2>Summary</h2><pre class="summary">${escapeHtml(b.summary)}</pre>` : "";

  const tq = d.tokenQuery;
  const shown = d.log.html === "" ? "" : `<span class="muted" id="log-size">${escapeHtml(formatBytes(d.logBytes))}</span>`;
  const earlier = `<div class="log-earlier"${d.log.hasEarlier ? "" : " hidden"} id="log-earlier"><button type="button" id="load-earlier">Load earlier output</button> <span class="muted">showing the end of the log</span></div>`;
  const body = `<div id="build" data-build="${b.id}" data-done="${done ? "1" : "0"}" data-events-url="${escapeHtml(withQuery(`/builds/${b.id}/events?after=${d.log.lastSeq ?? -1}`, tq))}" data-earlier-url="${escapeHtml(withQuery(`/builds/${b.id}/log/earlier`, tq))}">
<div class="layout"><div>
<h1>${escapeHtml(b.pipeline)} <small>#${b.id}</small> <span id="state">${stateBadge(b)}</span></h1>
<p class="title" id="title">${escapeHtml(b.title ?? "")}</p>
</div>${actions}</div>
<table class="facts">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("")}</table>
${annotations}${summary}
<div class="log-bar"><h2>Log</h2>${shown}<a href="${escapeHtml(withQuery(`/builds/${b.id}/log`, tq))}">Raw log</a><span class="live" id="live"${done ? " hidden" : ""}>● live</span></div>
${earlier}<pre class="log" id="log" data-first-seq="${d.log.firstSeq ?? -1}" data-last-seq="${d.log.lastSeq ?? -1}">${d.log.html}</pre>
</div>`;
  return layout(assets, { title: `${b.pipeline} #${b.id} · ${b.repository} · ${buildState(b)}`, body, scripts: ["build-page.js"], viewer });
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
