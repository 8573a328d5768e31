import type { IncomingMessage, ServerResponse } from "node:http";
import type { BlockList } from "node:net";
import type { Logger } from "pino";
import { clientAddress } from "./client-address.js";
import type { RateLimiter } from "./rate-limit.js";

/**
 * Applies the per-source rate limit to every request but webhooks (GitHub's bursts are
 * legitimate and their source is checked by the allow list instead). Returns false when
 * it answered 429 itself.
 */
export function rateLimitGate(o: {
  limiter: RateLimiter;
  webhookPath: string;
  trustedProxies: BlockList | null;
  log: Logger;
}): (req: IncomingMessage, res: ServerResponse) => boolean {
  const webhookPath = o.webhookPath.replace(/\/+$/, "");
  let lastLogged = 0;
  return (req, res) => {
    // The router ignores a trailing slash; anything else is not the webhook path, and at
    // worst gets limited.
    const pathname = (req.url ?? "/").split("?")[0]?.replace(/\/+$/, "") ?? "";
    if (pathname === webhookPath && req.method === "POST") return true;
    const address = clientAddress(req, o.trustedProxies) ?? "unknown";
    const admitted = o.limiter.take(address);
    if (admitted.ok) return true;
    const now = Date.now();
    // One line a second at most: a flood must not become a flood of log lines.
    if (now - lastLogged >= 1000) {
      lastLogged = now;
      o.log.warn({ address, url: req.url?.slice(0, 200) }, "rate limit: too many requests from one source");
    }
    res.writeHead(429, { "content-type": "text/plain; charset=utf-8", "retry-after": String(admitted.retryAfterSeconds), "cache-control": "no-store" });
    res.end("too many requests\n");
    return false;
  };
}
