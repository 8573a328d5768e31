import type { IncomingMessage } from "node:http";
import type { RequestAuth } from "./types.js";

export const DOCS = "https://docs.github.com/rest";

/** What a route answers; the server adds GitHub's common headers. */
export interface Reply {
  status: number;
  json?: unknown;
  raw?: { body: Buffer | string; contentType: string };
  headers?: Record<string, string>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (): HttpError => new HttpError(404, "Not Found");

/** GitHub's 422 shape: a message plus an `errors` list naming the problem. */
export function invalid(errors: string[]): HttpError {
  return new HttpError(422, `Invalid request.\n\n${errors.join("\n")}`, { errors, status: "422" });
}

export interface RouteContext<S> {
  method: string;
  /** Path below /api/v3. */
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  auth: RequestAuth;
  state: S;
}

export type AuthNeed = "jwt" | "repo" | "installation" | "none";

export interface Route<S> {
  method: string;
  pattern: RegExp;
  auth: AuthNeed;
  handle: (ctx: RouteContext<S>) => Reply | Promise<Reply>;
}

/**
 * "/repos/:owner/:repo/contents/:path+" → a RegExp with named groups; `:x+` spans
 * slashes. Params are decoded after matching so "%2F" cannot forge a segment.
 */
export function route<S>(method: string, template: string, auth: AuthNeed, handle: Route<S>["handle"]): Route<S> {
  const source = template
    .split("/")
    .map((seg) => {
      const m = /^:(\w+)(\+?)$/.exec(seg);
      if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      return m[2] ? `(?<${m[1]}>.+)` : `(?<${m[1]}>[^/]+)`;
    })
    .join("/");
  return { method, pattern: new RegExp(`^${source}$`), auth, handle };
}

export function matchRoute<S>(routes: readonly Route<S>[], method: string, path: string): { route: Route<S>; params: Record<string, string> } | undefined {
  for (const r of routes) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = decodeURIComponent(v);
    return { route: r, params };
  }
  return undefined;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

export function intParam(value: string | undefined, name: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new HttpError(404, `Not Found (bad ${name})`);
  return n;
}

/**
 * Page through `items` like GitHub: per_page (default 30, max 100) and page, with a Link
 * header whose URLs point back at this server so Octokit's paginate follows them.
 */
export function paginate<T>(items: readonly T[], query: Record<string, string>, selfUrl: string): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(Math.max(Number(query.per_page ?? 30) || 30, 1), 100);
  const page = Math.max(Number(query.page ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (p: number): string => {
    const u = new URL(selfUrl);
    u.searchParams.set("per_page", String(perPage));
    u.searchParams.set("page", String(p));
    return u.toString();
  };
  const rels: string[] = [];
  if (page < last) rels.push(`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`);
  if (page > 1) rels.push(`<${link(1)}>; rel="first"`, `<${link(page - 1)}>; rel="prev"`);
  return {
    page: items.slice((page - 1) * perPage, page * perPage),
    headers: rels.length ? { link: rels.join(", ") } : {},
  };
}

export function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) throw new HttpError(400, "Problems parsing JSON");
  return body as Record<string, unknown>;
}
