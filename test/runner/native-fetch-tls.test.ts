import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nativeFetch } from "../../src/runner/native-fetch.js";

const run = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), "kickoff-fetch-tls-"));
let server: https.Server;
let baseUrl: string;
let connections = 0;

// GitHub Enterprise Server behind a certificate Node does not trust (a private CA that
// only the system store, which git reads, knows): the fast path must give way to git at
// once, and not try again on every build.
beforeAll(async () => {
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-keyout",
    path.join(dir, "key.pem"),
    "-out",
    path.join(dir, "cert.pem"),
  ]);
  server = https.createServer({ cert: readFileSync(path.join(dir, "cert.pem")), key: readFileSync(path.join(dir, "key.pem")) }, (_req, res) => {
    res.writeHead(500).end();
  });
  // Connections, not requests: the client gives up during the handshake.
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("the fast fetch against a certificate Node does not trust", () => {
  it("gives way to git, naming the TLS problem, and stays off for that URL", async () => {
    const mirror = path.join(dir, "mirror.git");
    execFileSync("git", ["init", "--bare", "--quiet", mirror]);
    const spec = {
      mirror,
      home: dir,
      cloneUrl: `${baseUrl}/acme/shop.git`,
      sha: "a".repeat(40),
      token: "ghs_token",
      dest: "refs/kickoff/ref/heads%main",
      timeoutMs: 10_000,
    };
    const first = await nativeFetch(spec);
    expect(first).toEqual({ ok: false, fallback: expect.stringMatching(/^the server does not speak git protocol v2 as expected \(TLS: [A-Z_]+\)$/) });
    expect(connections).toBe(1);
    // Remembered: the next build goes straight to git, without a second handshake.
    const second = await nativeFetch(spec);
    expect(second).toEqual(first);
    expect(connections).toBe(1);
  });
});
