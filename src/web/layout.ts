import type { Assets } from "./assets.js";
import { escapeHtml } from "./html.js";

export interface Viewer {
  admin: boolean;
  /** The CSRF token of the admin's browser session (forms), when logged in with one. */
  csrf: string | null;
  /** Whether an admin token is configured at all (offer the login link). */
  loginEnabled: boolean;
}

export interface PageOptions {
  title: string;
  /** Already-escaped HTML. */
  body: string;
  scripts?: string[];
  viewer: Viewer;
}

export function csrfField(csrf: string | null): string {
  return csrf === null ? "" : `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;
}

/** The shell of every page: styles and scripts from /assets only (see the CSP). */
export function layout(assets: Assets, o: PageOptions): string {
  const { viewer } = o;
  const account = viewer.admin
    ? viewer.csrf !== null
      ? `<form method="post" action="/logout">${csrfField(viewer.csrf)}<button type="submit">Log out</button></form>`
      : `<span>admin</span>`
    : viewer.loginEnabled
      ? `<a href="/login">Log in</a>`
      : "";
  const scripts = (o.scripts ?? []).map((s) => `<script type="module" src="${escapeHtml(assets.url(s))}"></script>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(o.title)} · Kickoff</title>
<link rel="icon" href="${escapeHtml(assets.url("favicon.svg"))}"><link rel="stylesheet" href="${escapeHtml(assets.url("kickoff.css"))}"><link rel="stylesheet" href="${escapeHtml(assets.url("ansi-palette.css"))}">${scripts}
</head><body>
<header class="top"><a class="brand" href="/">Kickoff</a><nav><a href="/">Builds</a>${viewer.admin ? `<a href="/deliveries">Deliveries</a>` : ""}</nav>${account}</header>
<main>${o.body}</main>
</body></html>`;
}
