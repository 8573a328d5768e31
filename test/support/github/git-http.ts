import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { gitEnv } from "./git.js";

/** Which smart-HTTP path a request is for; everything else (dumb HTTP, push) is refused. */
export function parseGitPath(pathname: string): { owner: string; repo: string; service: "info/refs" | "git-upload-pack" | "git-receive-pack" | "other" } | undefined {
  const m = /^\/([^/]+)\/([^/]+)\.git\/(.+)$/.exec(pathname);
  if (!m) return undefined;
  const [, owner = "", repo = "", rest = ""] = m;
  const service = rest === "info/refs" || rest === "git-upload-pack" || rest === "git-receive-pack" ? rest : "other";
  return { owner, repo, service };
}

export interface CgiRun {
  reposRoot: string;
  home: string;
  bareDir: string;
  pathname: string;
  search: string;
  body: Buffer;
  authUser: string;
}

/**
 * Runs `git http-backend` as a CGI: request metadata in the environment, the body on
 * stdin, and a CGI header block then the body on stdout. Resolves with the status sent.
 */
export function runHttpBackend(req: IncomingMessage, res: ServerResponse, o: CgiRun): Promise<number> {
  const rel = path.relative(o.reposRoot, o.bareDir).split(path.sep).join("/");
  const suffix = o.pathname.slice(o.pathname.indexOf(".git/") + 4);
  const env = gitEnv(o.home, {
    GIT_PROJECT_ROOT: o.reposRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: `/${rel}${suffix}`,
    QUERY_STRING: o.search.replace(/^\?/, ""),
    REQUEST_METHOD: req.method ?? "GET",
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    // The body is fully buffered, so its length is known even for chunked requests.
    CONTENT_LENGTH: String(o.body.length),
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    REMOTE_USER: o.authUser,
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_PROTOCOL: "HTTP/1.1",
    ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
    // http-backend inflates gzip request bodies itself when told about the encoding.
    ...(req.headers["content-encoding"] ? { HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"]) } : {}),
  });
  return new Promise((resolve) => {
    const child = spawn("git", ["http-backend"], { env, cwd: o.reposRoot });
    let head = Buffer.alloc(0);
    let headersDone = false;
    let status = 200;
    const stderr: Buffer[] = [];
    child.stderr.on("data", (c: Buffer) => stderr.push(c));
    child.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const crlf = head.indexOf("\r\n\r\n");
      const lf = head.indexOf("\n\n");
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? { at: crlf, len: 4 } : lf >= 0 ? { at: lf, len: 2 } : undefined;
      if (!end) return;
      headersDone = true;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end.at).toString("latin1").split(/\r?\n/)) {
        const colon = line.indexOf(":");
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === "status") status = Number.parseInt(value, 10) || 200;
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end.at + end.len));
    });
    child.on("error", () => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("git http-backend could not start\n");
      resolve(500);
    });
    child.on("close", (code) => {
      if (!headersDone) {
        status = 500;
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`git http-backend failed (${code ?? "signal"}): ${Buffer.concat(stderr).toString()}`);
      } else {
        res.end();
      }
      resolve(status);
    });
    child.stdin.on("error", () => {
      // http-backend may exit before reading everything (e.g. on a bad request).
    });
    child.stdin.end(o.body);
  });
}
