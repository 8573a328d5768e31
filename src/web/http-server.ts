import http, { type IncomingMessage, type ServerResponse } from "node:http";
import findMyWay, { type HTTPMethod } from "find-my-way";
import type { Logger } from "pino";

export type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string | undefined>) => Promise<void>;

export interface Route {
  method: HTTPMethod;
  path: string;
  handler: Handler;
}

/**
 * Kickoff's HTTP surface. Probot's own server would run app handlers inside the webhook
 * request; Kickoff answers only after storing, so it serves HTTP itself.
 */
export function createHttpServer(routes: Route[], log: Logger): http.Server {
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
  const server = http.createServer((req, res) => router.lookup(req, res));
  // Slow senders are cut off: headers within 10 s, the whole request within 60 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  return server;
}
