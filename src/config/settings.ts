import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { getPrivateKey } from "@probot/get-private-key";
import { type Cidr, parseCidrList } from "../web/cidr-list.js";
import { parseDuration } from "./duration.js";

/** Server settings, read once from the environment (and `.env`) at start. */
export interface Settings {
  appId: number | null;
  privateKey: string | null;
  webhookSecret: string | null;
  webhookPath: string;
  /** REST base, e.g. https://api.github.com or http://127.0.0.1:9999/api/v3. */
  githubApiUrl: string;
  port: number;
  host: string | null;
  logLevel: string;
  logFormat: "json" | "pretty";
  databaseUrl: string | null;
  dataDir: string;
  concurrency: number;
  publicUrl: string;
  defaultTimeoutMs: number;
  adminToken: string | null;
  retentionMs: number;
  leaseMs: number;
  /** KICKOFF_REDELIVER_ON_START: at start, redeliver webhooks that failed this long back; null = off. */
  redeliverOnStartMs: number | null;
  /** KICKOFF_ENVIRONMENTS_FILE: deploy environments, their allowed refs and secrets. */
  environmentsFile: string | null;
  /** KICKOFF_WEBHOOK_ALLOWED_IPS: null = webhooks from anywhere; `github` = GitHub's hook ranges too. */
  webhookAllowedIps: { cidrs: Cidr[]; github: boolean } | null;
  /** KICKOFF_TRUST_PROXY: proxies whose X-Forwarded-For entries are believed; [] = none. */
  trustProxy: Cidr[];
  /** KICKOFF_TLS_CERT / KICKOFF_TLS_KEY: serve HTTPS directly; null = plain HTTP. */
  tls: { certFile: string; keyFile: string } | null;
}

/** A bad setting: the message is one line that names it. */
export class SettingsError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = "SettingsError";
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

export function loadSettings(env: Env): Settings {
  const port = integer(env, "PORT", 3000, 0, 65535);
  return {
    appId: env.APP_ID ? integer(env, "APP_ID", 0, 1, Number.MAX_SAFE_INTEGER) : null,
    privateKey: privateKey(env),
    webhookSecret: nonEmpty(env, "WEBHOOK_SECRET"),
    webhookPath: webhookPath(env),
    githubApiUrl: githubApiUrl(env),
    port,
    host: nonEmpty(env, "HOST"),
    logLevel: oneOf(env, "LOG_LEVEL", LOG_LEVELS, "info"),
    logFormat: oneOf(env, "LOG_FORMAT", ["json", "pretty"], "json") as "json" | "pretty",
    databaseUrl: databaseUrl(env),
    dataDir: path.resolve(env.KICKOFF_DATA_DIR || ".kickoff"),
    concurrency: integer(env, "KICKOFF_CONCURRENCY", os.availableParallelism(), 1, 1024),
    publicUrl: publicUrl(env, port),
    defaultTimeoutMs: duration(env, "KICKOFF_DEFAULT_TIMEOUT", "30m"),
    adminToken: adminToken(env),
    retentionMs: duration(env, "KICKOFF_RETENTION", "30d"),
    leaseMs: duration(env, "KICKOFF_LEASE", "30s"),
    environmentsFile: nonEmpty(env, "KICKOFF_ENVIRONMENTS_FILE"),
    redeliverOnStartMs: nonEmpty(env, "KICKOFF_REDELIVER_ON_START") === null ? null : duration(env, "KICKOFF_REDELIVER_ON_START", ""),
    webhookAllowedIps: webhookAllowedIps(env),
    trustProxy: trustProxy(env),
    tls: tlsFiles(env),
  };
}

/** What `kickoff start` needs beyond the defaults, as one line per missing setting. */
export function missingAppCredentials(settings: Settings): string[] {
  const missing: string[] = [];
  if (settings.appId === null) missing.push("APP_ID");
  if (settings.privateKey === null) missing.push("PRIVATE_KEY or PRIVATE_KEY_PATH");
  if (settings.webhookSecret === null) missing.push("WEBHOOK_SECRET");
  return missing;
}

function nonEmpty(env: Env, name: string): string | null {
  const value = env[name];
  return value === undefined || value.trim() === "" ? null : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env, name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new SettingsError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new SettingsError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf(env: Env, name: string, allowed: string[], fallback: string): string {
  const raw = nonEmpty(env, name);
  if (raw === null) return fallback;
  if (!allowed.includes(raw)) throw new SettingsError(name, `must be one of ${allowed.join(", ")}, got "${raw}"`);
  return raw;
}

function duration(env: Env, name: string, fallback: string): number {
  const raw = nonEmpty(env, name) ?? fallback;
  const ms = parseDuration(raw.replace(/(\d+)d$/, (_m, days: string) => `${Number(days) * 24}h`));
  if (ms === null || ms <= 0) throw new SettingsError(name, `expected a duration such as 30s, 15m, 2h or 30d, got "${raw}"`);
  return ms;
}

function privateKey(env: Env): string | null {
  if (!nonEmpty(env, "PRIVATE_KEY") && !nonEmpty(env, "PRIVATE_KEY_PATH")) return null;
  const name = nonEmpty(env, "PRIVATE_KEY") ? "PRIVATE_KEY" : "PRIVATE_KEY_PATH";
  if (name === "PRIVATE_KEY_PATH") checkKeyFile(env.PRIVATE_KEY_PATH ?? "");
  let key: string | null;
  try {
    key = getPrivateKey({ env: { PRIVATE_KEY: env.PRIVATE_KEY, PRIVATE_KEY_PATH: env.PRIVATE_KEY_PATH } });
  } catch (error) {
    throw new SettingsError(name, error instanceof Error ? error.message.split("\n")[0]! : "cannot be read");
  }
  if (key === null) throw new SettingsError(name, "no private key found");
  try {
    createPrivateKey(key);
  } catch {
    throw new SettingsError(name, "is not a PEM private key (download it from the GitHub App's settings page)");
  }
  return key;
}

// Probot's own message for a bad path is long and speaks of "env.PRIVATE_KEY_PATH"; say
// plainly what is wrong with the file.
function checkKeyFile(file: string): void {
  try {
    readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not the .pem file" : code === "EACCES" ? "permission denied" : (code ?? "unreadable");
    throw new SettingsError("PRIVATE_KEY_PATH", `cannot read "${file}": ${why}`);
  }
}

function webhookPath(env: Env): string {
  const raw = nonEmpty(env, "WEBHOOK_PATH") ?? "/api/github/webhooks";
  if (!raw.startsWith("/")) throw new SettingsError("WEBHOOK_PATH", `must start with "/", got "${raw}"`);
  return raw;
}

function githubApiUrl(env: Env): string {
  const host = nonEmpty(env, "GHE_HOST");
  const protocol = oneOf(env, "GHE_PROTOCOL", ["https", "http"], "https");
  if (host === null) return "https://api.github.com";
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(host)) throw new SettingsError("GHE_HOST", `expected a host name such as github.example.com, got "${host}"`);
  return `${protocol}://${host}/api/v3`;
}

function databaseUrl(env: Env): string | null {
  const raw = nonEmpty(env, "DATABASE_URL");
  if (raw === null) return null;
  if (/^postgres(ql)?:\/\//.test(raw) || /^(sqlite|file):/.test(raw)) return raw;
  throw new SettingsError("DATABASE_URL", "expected postgres://… or sqlite:<file>");
}

function publicUrl(env: Env, port: number): string {
  const raw = nonEmpty(env, "KICKOFF_PUBLIC_URL") ?? `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SettingsError("KICKOFF_PUBLIC_URL", `is not a URL: "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new SettingsError("KICKOFF_PUBLIC_URL", "must be an http or https URL");
  return raw.replace(/\/+$/, "");
}

function adminToken(env: Env): string | null {
  const raw = nonEmpty(env, "KICKOFF_ADMIN_TOKEN");
  if (raw !== null && raw.length < 16) throw new SettingsError("KICKOFF_ADMIN_TOKEN", "must be at least 16 characters");
  return raw;
}

function webhookAllowedIps(env: Env): Settings["webhookAllowedIps"] {
  const raw = nonEmpty(env, "KICKOFF_WEBHOOK_ALLOWED_IPS");
  if (raw === null) return null;
  const parsed = parseCidrList(raw, ["github"]);
  if (!parsed.ok) throw new SettingsError("KICKOFF_WEBHOOK_ALLOWED_IPS", parsed.message);
  const github = parsed.keywords?.includes("github") ?? false;
  if (parsed.cidrs.length === 0 && !github) throw new SettingsError("KICKOFF_WEBHOOK_ALLOWED_IPS", "lists no address (use CIDRs such as 10.0.0.0/8, or github)");
  return { cidrs: parsed.cidrs, github };
}

function trustProxy(env: Env): Cidr[] {
  const raw = nonEmpty(env, "KICKOFF_TRUST_PROXY");
  if (raw === null) return [];
  const parsed = parseCidrList(raw);
  if (!parsed.ok) throw new SettingsError("KICKOFF_TRUST_PROXY", `${parsed.message}; list the proxies' addresses, e.g. 127.0.0.1,::1`);
  return parsed.cidrs;
}

function tlsFiles(env: Env): Settings["tls"] {
  const certFile = nonEmpty(env, "KICKOFF_TLS_CERT");
  const keyFile = nonEmpty(env, "KICKOFF_TLS_KEY");
  if (certFile === null && keyFile === null) return null;
  if (certFile === null) throw new SettingsError("KICKOFF_TLS_CERT", "must be set together with KICKOFF_TLS_KEY (the certificate's PEM file)");
  if (keyFile === null) throw new SettingsError("KICKOFF_TLS_KEY", "must be set together with KICKOFF_TLS_CERT (the private key's PEM file)");
  return { certFile, keyFile };
}
