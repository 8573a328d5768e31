import { createHmac, timingSafeEqual } from "node:crypto";

/** The token in a build's `details_url`: an HMAC of the build id under the server key. */
export function buildToken(key: string, buildId: number): string {
  return createHmac("sha256", key).update(`build:${buildId}`).digest("base64url").slice(0, 32);
}

export function verifyBuildToken(key: string, buildId: number, token: string | null | undefined): boolean {
  if (!token) return false;
  const expected = Buffer.from(buildToken(key, buildId));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
