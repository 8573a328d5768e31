import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import { gitEnv } from "./git.js";

/** Which smart-HTTP path a request is for; everything else (dumb HTTP, push) is refused. */
export function parseGitPath(pathname: string): { owner: string; repo: string; service: "info/refs" | "git-upload-pack" | "git-receive-pack" | "other" } | undefined {
  const m = /^\/([^/]+)\/([^/]+)\.git\/(.+)$/.exec(pathname);
  if (!m) return undefined;
  const [, owner = "", repo = "", rest = ""] = m;
  const service = rest === "info/refs" || rest === "git-upload-pack" || rest === "git-receive-pack" ? rest : "other";
  return { owner, repo, service };
}

export interface UploadPackRun {
  home: string;
  bareDir: string;
  service: "info/refs" | "git-upload-pack";
  body: Buffer;
}

/**
 * Answers smart HTTP (gitprotocol-http(5)) for fetches by running `git upload-pack`
 * directly, as `git http-backend` would, without the CGI process in between: the
 * stand-in plays GitHub on the same two cores as Kickoff, so every process it saves is
 * less noise in what the tests and benchmarks measure. Resolves with the status sent.
 */
export function runUploadPack(req: IncomingMessage, res: ServerResponse, o: UploadPackRun): Promise<number> {
  const protocol = req.headers["git-protocol"] ? String(req.headers["git-protocol"]) : "";
  const v2 = /(^|:)version=2(:|$)/.test(protocol);
  const advertise = o.service === "info/refs";
  const env = gitEnv(o.home, protocol ? { GIT_PROTOCOL: protocol } : {});
  let body = o.body;
  if (!advertise && req.headers["content-encoding"] === "gzip") {
    try {
      body = gunzipSync(body);
    } catch {
      res.writeHead(400, { "content-type": "text/plain" }).end("bad gzip body\n");
      return Promise.resolve(400);
    }
  }
  return new Promise((resolve) => {
    const args = advertise ? ["upload-pack", "--stateless-rpc", "--advertise-refs", o.bareDir] : ["upload-pack", "--stateless-rpc", o.bareDir];
    const child = spawn("git", args, { env, stdio: [advertise ? "ignore" : "pipe", "pipe", "pipe"] });
    const stderr: Buffer[] = [];
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      res.writeHead(200, {
        "content-type": advertise ? "application/x-git-upload-pack-advertisement" : "application/x-git-upload-pack-result",
        "cache-control": "no-cache",
      });
      // Protocol v0 opens the advertisement with the service line; v2 does not (http-backend.c).
      if (advertise && !v2) res.write("001e# service=git-upload-pack\n0000");
    };
    child.stderr?.on("data", (c: Buffer) => stderr.push(c));
    child.stdout?.on("data", (chunk: Buffer) => {
      start();
      res.write(chunk);
    });
    child.on("error", () => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("git upload-pack could not start\n");
      resolve(500);
    });
    child.on("close", (code) => {
      if (!started && code !== 0) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`git upload-pack failed (${code ?? "signal"}): ${Buffer.concat(stderr).toString()}`);
        resolve(500);
        return;
      }
      start();
      res.end();
      resolve(200);
    });
    if (child.stdin) {
      child.stdin.on("error", () => {
        // upload-pack may exit before reading everything (e.g. on a bad request).
      });
      child.stdin.end(body);
    }
  });
}
