import type { IncomingMessage, ServerResponse } from "node:http";
import { escapeHtml } from "./html.js";
import { layout } from "./layout.js";
import { readForm, redirect, sendHtml, sendText, viewer } from "./request.js";
import type { WebDeps } from "./web-deps.js";

function loginPage(deps: WebDeps, req: IncomingMessage, message: string | null): string {
  const body = deps.auth.enabled
    ? `<h1>Log in</h1>${message ? `<p class="notice">${escapeHtml(message)}</p>` : ""}
<form class="login" method="post" action="/login"><label>Admin token <input type="password" name="token" autocomplete="current-password" required autofocus></label><button type="submit">Log in</button></form>
<p class="muted">The value of <code>KICKOFF_ADMIN_TOKEN</code>. The browser keeps a session for 12 hours, not the token.</p>`
    : `<h1>Log in</h1><p class="notice">No admin token is set on this server (<code>KICKOFF_ADMIN_TOKEN</code>).</p>`;
  return layout(deps.assets, { title: "Log in", body, viewer: viewer(deps, req) });
}

/** `GET /login`: the form. */
export function loginForm(deps: WebDeps) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    sendHtml(res, 200, loginPage(deps, req, null));
  };
}

/**
 * `POST /login`: the admin token (compared in constant time) buys an HttpOnly,
 * SameSite=Strict session cookie holding a derived value, never the token.
 */
export function login(deps: WebDeps) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const form = await readForm(req);
    if (!deps.auth.tokenMatches(form?.get("token"))) {
      deps.log.warn({ remote: req.socket.remoteAddress }, "dashboard login refused");
      sendHtml(res, 401, loginPage(deps, req, "That is not the admin token."));
      return;
    }
    redirect(res, "/", { "set-cookie": deps.auth.sessionCookie(deps.auth.newSession(), deps.secureCookies) });
  };
}

/** `POST /logout`: with the session's CSRF token, so another site cannot log the admin out. */
export function logout(deps: WebDeps) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const form = await readForm(req);
    if (!deps.auth.mayChange(req, form?.get("csrf") ?? null)) {
      sendText(res, 403, "admin session and a valid form token required\n");
      return;
    }
    redirect(res, "/", { "set-cookie": deps.auth.clearedCookie(deps.secureCookies) });
  };
}
