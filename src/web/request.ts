import type { IncomingMessage, ServerResponse } from "node:http";
import type { Viewer } from "./layout.js";
import type { WebDeps } from "./web-deps.js";

export function query(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? "/", "http://localhost").searchParams;
}

export function viewer(deps: WebDeps, req: IncomingMessage): Viewer {
  const session = deps.auth.session(req);
  return { admin: session !== null || deps.auth.bearer(req), csrf: session === null ? null : deps.auth.csrfToken(session), loginEnabled: deps.auth.enabled };
}

export function sendHtml(res: ServerResponse, status: number, html: string, extra: Record<string, string> = {}): void {
  // Pages may show private builds: never stored by a shared cache or the browser's.
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", ...extra });
  res.end(html);
}

export function sendText(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...extra });
  res.end(text);
}

export function redirect(res: ServerResponse, location: string, extra: Record<string, string> = {}): void {
  res.writeHead(303, { location, "cache-control": "no-store", ...extra });
  res.end();
}

const FORM_LIMIT = 8 * 1024;

/** A small urlencoded form body (login, buttons); anything larger or of another type is refused. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams | null> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") return null;
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > FORM_LIMIT) return null;
    parts.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(parts).toString("utf8"));
}
