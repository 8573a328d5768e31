import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import findMyWay, { type HTTPMethod } from "find-my-way";
import type { Logger } from "pino";
import { applySecurityHeaders } from "./security-headers.js";

export type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string | undefined>) => Promise<void>;

export interface Route {
  method: HTTPMethod;
  path: string;
  handler: Handler;
}

export interface HttpServerOptions {
  /** Serve HTTPS with this certificate and key (PEM) instead of plain HTTP. */
  tls?: { cert: Buffer; key: Buffer } | null;
  /** Runs before routing (the rate limit); false means it has answered the request itself. */
  gate?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Defaults: headers within 10 s, the whole request within 60 s. Shorter in tests. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/**
 * Kickoff's HTTP surface. Probot's own server would run app handlers inside the webhook
 * request; Kickoff answers only after storing, so it serves HTTP itself.
 */
export function createHttpServer(routes: Route[], log: Logger, options: HttpServerOptions = {}): http.Server | https.Server {
  const router = findMyWay({
    ignoreTrailingSlash: true,
    defaultRoute: (req, res) => {
      const known = routes.some((r) => router.find(r.method, req.url?.split("?")[0] ?? "/") !== null && r.method !== req.method);
      res.writeHead(known ? 405 : 404, { "content-type": "text/plain; charset=utf-8" });
      res.end(known ? "method not allowed\n" : "not found\n");
    },
  });
  for (const route of routes) {
    router.on(route.method, route.path, (req, res, params) => {
      route.handler(req, res, params).catch((error: unknown) => {
        log.error({ err: error, url: req.url }, "request handler failed");
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
          res.end("internal error\n");
        } else res.destroy();
      });
    });
  }
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    // Every answer, error pages included, carries the security headers (CSP and others).
    applySecurityHeaders(res);
    if (options.gate && !options.gate(req, res)) return;
    router.lookup(req, res);
  };
  // Slow senders are cut off: headers within 10 s, the whole request within 60 s. Node
  // enforces both only when it sweeps its connections, every 30 s by default; a sweep
  // every second makes the limits mean what they say.
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const timeouts = { headersTimeout, requestTimeout: options.requestTimeoutMs ?? 60_000, connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeout / 4)) };
  const server = options.tls ? https.createServer({ ...timeouts, cert: options.tls.cert, key: options.tls.key }, handle) : http.createServer(timeouts, handle);
  server.keepAliveTimeout = 5_000;
  return server;
}
