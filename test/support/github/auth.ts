import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from "node:crypto";
import type { RequestAuth } from "./types.js";

export interface AppKeys {
  privateKey: string;
  publicKey: KeyObject;
}

export function generateAppKeys(): AppKeys {
  // 2048 bits keeps generation well under a second while matching what GitHub issues.
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

interface IssuedToken {
  installationId: number;
  expiresAt: number;
}

/** Installation tokens handed out by the stand-in, in issue order. */
export class TokenStore {
  private readonly tokens = new Map<string, IssuedToken>();

  issue(installationId: number, now = Date.now()): { token: string; expiresAt: Date } {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const token = `ghs_${Array.from(randomBytes(40), (b) => alphabet[b % alphabet.length]).join("")}`;
    const expiresAt = new Date(now + 60 * 60 * 1000);
    this.tokens.set(token, { installationId, expiresAt: expiresAt.getTime() });
    return { token, expiresAt };
  }

  lookup(token: string, now = Date.now()): IssuedToken | undefined {
    const t = this.tokens.get(token);
    return t && t.expiresAt > now ? t : undefined;
  }

  all(): string[] {
    return [...this.tokens.keys()];
  }
}

function b64urlJson(part: string): unknown {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

/** RS256 verification of an App JWT, with GitHub's checks on iss, iat and exp. */
export function verifyAppJwt(jwt: string, publicKey: KeyObject, appId: number, now = Date.now()): boolean {
  const parts = jwt.split(".");
  if (parts.length !== 3) return false;
  const [h, p, s] = parts as [string, string, string];
  try {
    const header = b64urlJson(h) as { alg?: unknown };
    if (header.alg !== "RS256") return false;
    if (!verify("RSA-SHA256", Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, "base64url"))) return false;
    const claims = b64urlJson(p) as { iss?: unknown; iat?: unknown; exp?: unknown };
    const sec = now / 1000;
    if (String(claims.iss) !== String(appId)) return false;
    if (typeof claims.exp !== "number" || claims.exp <= sec) return false;
    // GitHub refuses JWTs issued in the future or valid for more than ten minutes.
    if (typeof claims.iat !== "number" || claims.iat > sec + 60 || claims.exp - claims.iat > 600) return false;
    return true;
  } catch {
    return false;
  }
}

export interface Credentials {
  auth: RequestAuth;
  /** The authorization header with its secret replaced, safe to record. */
  redacted?: string;
}

/** Classifies the Authorization header; the secret itself is never returned. */
export function authenticate(header: string | undefined, tokens: TokenStore, publicKey: KeyObject, appId: number): Credentials {
  if (!header) return { auth: { kind: "none" } };
  const space = header.indexOf(" ");
  const scheme = space < 0 ? header : header.slice(0, space);
  const secret = space < 0 ? "" : header.slice(space + 1).trim();
  const redacted = `${scheme} [redacted]`;
  const lower = scheme.toLowerCase();
  if (lower === "basic") {
    const decoded = Buffer.from(secret, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? "" : decoded.slice(colon + 1);
    const t = tokens.lookup(password);
    return {
      redacted: `Basic [redacted user=${user}]`,
      auth: t ? { kind: "installation-token", user, installationId: t.installationId } : { kind: "invalid", user },
    };
  }
  if (lower !== "bearer" && lower !== "token") return { redacted, auth: { kind: "invalid" } };
  const t = tokens.lookup(secret);
  if (t) return { redacted, auth: { kind: "installation-token", installationId: t.installationId } };
  if (lower === "bearer" && verifyAppJwt(secret, publicKey, appId)) return { redacted, auth: { kind: "jwt" } };
  return { redacted, auth: { kind: "invalid" } };
}
