import { buildToken } from "../../src/web/build-token.js";
import type { Harness } from "./kickoff-harness.js";

export const ADMIN_TOKEN = "admin-token-for-tests-0123456789";

export interface Page {
  status: number;
  headers: Headers;
  text: string;
}

/** A real HTTP request to the harness's Kickoff; redirects are not followed. */
export async function http(h: Harness, path: string, init: RequestInit = {}): Promise<Page> {
  const res = await fetch(`${h.kickoff.url}${path}`, { redirect: "manual", ...init });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export async function signingKey(h: Harness): Promise<string> {
  const row = await h.kickoff.store.db.selectFrom("meta").select("value").where("key", "=", "build-link-key").executeTakeFirstOrThrow();
  return row.value;
}

export async function tokenFor(h: Harness, buildId: number): Promise<string> {
  return buildToken(await signingKey(h), buildId);
}

/** Logs in through the form; returns the Cookie header value. */
export async function loginCookie(h: Harness): Promise<string> {
  const res = await http(h, "/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
  });
  if (res.status !== 303) throw new Error(`login answered ${res.status}`);
  const setCookie = res.headers.get("set-cookie") ?? "";
  return setCookie.split(";")[0] ?? "";
}

/** The CSRF token a page's forms carry. */
export function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error("page has no CSRF field");
  return m[1];
}

export function form(fields: Record<string, string>, cookie?: string): RequestInit {
  return { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}) }, body: new URLSearchParams(fields).toString() };
}
