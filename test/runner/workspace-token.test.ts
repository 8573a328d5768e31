import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkout } from "../../src/runner/workspace.js";

const TOKEN = "ghs_TopSecretInstallationToken";
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");

const tmp = mkdtempSync(path.join(os.tmpdir(), "kickoff-token-"));
const seen: Array<{ url: string; authorization: string | undefined }> = [];
let server: Server;
let baseUrl: string;

// A stand-in for GitHub's git endpoint that records what git sends and refuses it all.
beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? "", authorization: req.headers.authorization });
    res.writeHead(401, { "www-authenticate": 'Basic realm="GitHub"' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(tmp, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file).isFile());
}

describe("checkout with an installation token", () => {
  it("sends the token as a Basic auth header, and keeps it out of errors and files", async () => {
    const dataDir = mkdtempSync(path.join(tmp, "data-"));
    const result = await checkout(
      {
        dataDir,
        repository: "acme/shop",
        cloneUrl: `${baseUrl}/acme/shop.git`,
        sha: "a".repeat(40),
        ref: "refs/heads/main",
        token: TOKEN,
      },
      path.join(tmp, "work"),
    );
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]?.url).toBe("/acme/shop.git/info/refs?service=git-upload-pack");
    expect(seen.every((request) => request.authorization === `Basic ${BASIC}`)).toBe(true);

    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatch(/^git fetch failed: /);
      expect(result.error).not.toContain(TOKEN);
      expect(result.error).not.toContain(BASIC);
    }
    for (const file of filesUnder(dataDir)) {
      const text = readFileSync(file, "latin1");
      expect(text, file).not.toContain(TOKEN);
      expect(text, file).not.toContain(BASIC);
    }
  });

  it("does not send a header when there is no token", async () => {
    seen.length = 0;
    const result = await checkout(
      { dataDir: mkdtempSync(path.join(tmp, "data-")), repository: "acme/shop", cloneUrl: `${baseUrl}/acme/shop.git`, sha: "b".repeat(40), ref: null, token: null },
      path.join(tmp, "work2"),
    );
    expect(result.ok).toBe(false);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((request) => request.authorization === undefined)).toBe(true);
  });
});
