import { formatDuration } from "../config/duration.js";
import { stripAnsi } from "../runner/log-tail.js";
import type { Build } from "../store/schema.js";
import { escapeHtml } from "./html.js";

export interface BuildPageData {
  build: Build;
  log: string;
  logBytes: number;
  shownBytes: number;
  logUrl: string;
}

/** A plain server-rendered page: the build's facts and its log so far (refreshing while it runs). */
export function renderBuildPage({ build, log, logBytes, shownBytes, logUrl }: BuildPageData): string {
  const state = build.status === "done" ? (build.conclusion ?? "done") : build.status;
  const duration = build.started_at !== null ? formatDuration((build.finished_at ?? Date.now()) - build.started_at) : "not started";
  const rows: Array<[string, string]> = [
    ["Repository", `<a href="${escapeHtml(build.html_url)}">${escapeHtml(build.repository)}</a>`],
    ["Pipeline", escapeHtml(build.pipeline)],
    ["Commit", `<a href="${escapeHtml(`${build.html_url}/commit/${build.sha}`)}"><code>${escapeHtml(build.sha.slice(0, 12))}</code></a>`],
    ["Trigger", escapeHtml(build.pr_number !== null ? `pull request #${build.pr_number} (${build.branch ?? ""})` : `${build.event} ${build.ref ?? ""}`)],
    ["Status", `<strong class="${escapeHtml(state)}">${escapeHtml(state)}</strong>${build.title ? ` — ${escapeHtml(build.title)}` : ""}`],
    ["Duration", escapeHtml(duration)],
    ["Attempt", `${build.attempt}${build.worker_id ? ` on <code>${escapeHtml(build.worker_id)}</code>` : ""}`],
  ];
  const cut =
    shownBytes < logBytes
      ? `<p>Showing the last ${shownBytes} of ${logBytes} bytes. <a href="${escapeHtml(logUrl)}">Full log</a></p>`
      : `<p><a href="${escapeHtml(logUrl)}">Raw log</a></p>`;
  const refresh = build.status === "done" ? "" : `<meta http-equiv="refresh" content="3">`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${refresh}
<title>${escapeHtml(`${build.pipeline} #${build.id} · ${build.repository}`)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:1100px}th{text-align:left;padding-right:1rem}pre{background:#111;color:#ddd;padding:1rem;overflow:auto;white-space:pre-wrap}.success{color:#1a7f37}.failure,.timed_out{color:#cf222e}</style>
</head><body>
<h1>${escapeHtml(build.pipeline)} <small>#${build.id}</small></h1>
<table>${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("")}</table>
<h2>Log</h2>${cut}
<pre id="log">${escapeHtml(stripAnsi(log))}</pre>
</body></html>`;
}
