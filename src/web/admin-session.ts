import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { parse as parseCookies, serialize as serializeCookie } from "cookie";

export const SESSION_COOKIE = "kickoff_session";
const SESSION_MS = 12 * 60 * 60 * 1000;

/**
 * The admin's browser session. The cookie holds `<expiry>.<nonce>.<HMAC(key, token,
 * expiry, nonce)>`, never the admin token: a leaked cookie stops working at its expiry, and changing
 * KICKOFF_ADMIN_TOKEN (or the server key) ends every session. Stateless, so every
 * process sharing the database accepts it.
 */
export class AdminAuth {
  constructor(
    private readonly key: string,
    private readonly adminToken: string | null,
    private readonly now: () => number,
  ) {}

  get enabled(): boolean {
    return this.adminToken !== null;
  }

  /** The admin token itself, compared in constant time (bearer header or login form). */
  tokenMatches(given: string | null | undefined): boolean {
    return this.adminToken !== null && typeof given === "string" && safeEqual(given, this.adminToken);
  }

  newSession(): string {
    // The nonce makes every login its own session, with its own CSRF token.
    const id = `${this.now() + SESSION_MS}.${randomBytes(12).toString("base64url")}`;
    return `${id}.${this.mac(`session:${id}`)}`;
  }

  sessionCookie(value: string, secure: boolean): string {
    return serializeCookie(SESSION_COOKIE, value, { httpOnly: true, sameSite: "strict", path: "/", secure, maxAge: SESSION_MS / 1000 });
  }

  clearedCookie(secure: boolean): string {
    return serializeCookie(SESSION_COOKIE, "", { httpOnly: true, sameSite: "strict", path: "/", secure, maxAge: 0 });
  }

  /** The valid session this request carries, if any. */
  session(req: IncomingMessage): string | null {
    if (this.adminToken === null || !req.headers.cookie) return null;
    const value = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (!value) return null;
    const m = /^(\d{1,15})\.([\w-]{16})\.([\w-]+)$/.exec(value);
    if (!m || Number(m[1]) <= this.now()) return null;
    return safeEqual(m[3] ?? "", this.mac(`session:${m[1]}.${m[2]}`)) ? value : null;
  }

  /** Admin by `Authorization: Bearer <KICKOFF_ADMIN_TOKEN>` (scripts). */
  bearer(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? "";
    return header.startsWith("Bearer ") && this.tokenMatches(header.slice(7));
  }

  isAdmin(req: IncomingMessage): boolean {
    return this.bearer(req) || this.session(req) !== null;
  }

  /** The synchronizer token for forms, derived from (so tied to) the session. */
  csrfToken(session: string): string {
    return this.mac(`csrf:${session}`);
  }

  /**
   * A state-changing request is the admin's own when it carries the bearer token
   * (browsers never add that header by themselves) or a session plus that session's
   * CSRF token from the form.
   */
  mayChange(req: IncomingMessage, csrf: string | null): boolean {
    if (this.bearer(req)) return true;
    const session = this.session(req);
    return session !== null && csrf !== null && safeEqual(csrf, this.csrfToken(session));
  }

  private mac(what: string): string {
    return createHmac("sha256", this.key)
      .update(`admin:${this.adminToken ?? ""}:${what}`)
      .digest("base64url");
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
