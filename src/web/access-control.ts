import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { GitHubHookRanges } from "../app/intake/github-meta.js";
import { WebhookAllowList } from "../app/intake/ip-allow-list.js";
import { allowedSourcesOnly } from "../app/intake/source-check.js";
import type { Rejection } from "../app/intake/webhook-intake.js";
import type { Settings } from "../config/settings.js";
import { blockListOf } from "./cidr-list.js";
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitOptions } from "./rate-limit.js";
import { rateLimitGate } from "./rate-limit-gate.js";

type Intake = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface AccessControl {
  /** The webhook intake behind KICKOFF_WEBHOOK_ALLOWED_IPS (unchanged when it is unset). */
  guardWebhook(intake: Intake): Intake;
  /** The per-source rate limit for everything but the webhook path. */
  gate: (req: IncomingMessage, res: ServerResponse) => boolean;
  stop(): void;
}

export interface AccessOptions {
  settings: Pick<Settings, "webhookAllowedIps" | "trustProxy" | "githubApiUrl" | "webhookPath">;
  log: Logger;
  onResult?(event: string, result: string, rejection?: Rejection): void;
  rateLimit?: Partial<RateLimitOptions>;
  /** How often GitHub's hook ranges are re-read, and the first retry after a failure. */
  hookRanges?: { refreshMs?: number; retryMs?: number };
}

/** Who may reach the server: KICKOFF_WEBHOOK_ALLOWED_IPS, KICKOFF_TRUST_PROXY and the rate limit. */
export function accessControl(o: AccessOptions): AccessControl {
  const { settings, log } = o;
  const trustedProxies = settings.trustProxy.length > 0 ? blockListOf(settings.trustProxy) : null;
  const limiter = new RateLimiter({ ...DEFAULT_RATE_LIMIT, ...o.rateLimit });
  const gate = rateLimitGate({ limiter, webhookPath: settings.webhookPath, trustedProxies, log });
  const allowed = settings.webhookAllowedIps;
  if (allowed === null) return { guardWebhook: (intake) => intake, gate, stop: () => {} };

  const allowList = new WebhookAllowList(allowed.cidrs, allowed.github);
  const ranges = allowed.github ? new GitHubHookRanges({ apiUrl: settings.githubApiUrl, allowList, log, ...o.hookRanges }) : null;
  ranges?.start();
  return {
    guardWebhook: (intake) => allowedSourcesOnly(intake, { allowList, trustedProxies, log, onResult: o.onResult }),
    gate,
    stop: () => ranges?.stop(),
  };
}
