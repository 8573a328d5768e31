import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Build } from "../store/schema.js";
import { verifyBuildToken } from "./build-token.js";

/**
 * Public repositories' builds are visible to anyone; a private one only with the signed
 * link from its check run (`?token=`) or the admin token.
 */
export function canView(build: Build, req: IncomingMessage, key: string, adminToken: string | null): boolean {
  if (build.private === 0) return true;
  const url = new URL(req.url ?? "/", "http://localhost");
  return verifyBuildToken(key, build.id, url.searchParams.get("token")) || isAdmin(req, adminToken);
}

export function isAdmin(req: IncomingMessage, adminToken: string | null): boolean {
  if (adminToken === null) return false;
  const header = req.headers.authorization ?? "";
  const given = header.startsWith("Bearer ") ? header.slice(7) : "";
  const a = Buffer.from(given);
  const b = Buffer.from(adminToken);
  return a.length === b.length && timingSafeEqual(a, b);
}
