import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SettingsError } from "../../src/config/settings.js";
import { readTlsFiles } from "../../src/web/tls.js";
import { type StandInRepo } from "../support/github-stand-in.js";
import { kickoffCli } from "../support/kickoff-cli.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";
import { ZERO } from "../support/e2e.js";
import { pushPayload } from "../support/webhooks.js";

const run = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), "kickoff-tls-"));
const file = (name: string) => path.join(dir, name);

/** A self-signed certificate for 127.0.0.1, made by openssl as an admin would. */
async function makeCertificate(name: string): Promise<{ cert: string; key: string }> {
  const cert = file(`${name}.crt`);
  const key = file(`${name}.key`);
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
    key,
    "-out",
    cert,
  ]);
  return { cert, key };
}

function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

describe("HTTPS served directly", () => {
  let h: Harness;
  let repo: StandInRepo;
  let pair: { cert: string; key: string };

  beforeAll(async () => {
    pair = await makeCertificate("server");
    h = await startHarness({ worker: false, env: { KICKOFF_TLS_CERT: pair.cert, KICKOFF_TLS_KEY: pair.key } });
    repo = await h.gh.createRepo("acme/tls");
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves every endpoint over TLS with the configured certificate", async () => {
    expect(h.kickoff.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    // Verified against the certificate itself: the server presents exactly it.
    const res = await httpsGet(`${h.kickoff.url}/healthz`, readFileSync(pair.cert));
    expect(res).toEqual({ status: 200, body: "ok\n" });
  });

  it("takes webhooks over TLS and stores them", async () => {
    const sent = await h.send("push", pushPayload(repo, { ref: "refs/heads/main", before: ZERO, after: "c".repeat(40) }), { id: "over-tls" });
    expect(sent.status).toBe(202);
    const row = await h.kickoff.store.db.selectFrom("deliveries").select("id").where("id", "=", "over-tls").executeTakeFirst();
    expect(row?.id).toBe("over-tls");
  });

  it("does not answer plain HTTP on the TLS port", async () => {
    const plain = h.kickoff.url!.replace(/^https:/, "http:");
    const outcome = await fetch(`${plain}/healthz`).then(
      (r) => `status ${r.status}`,
      () => "failed",
    );
    expect(outcome).not.toBe("status 200");
  });

  it("refuses a certificate and key that do not belong together, in one line", async () => {
    const other = await makeCertificate("other");
    let error: unknown;
    try {
      readTlsFiles(pair.cert, other.key);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as Error).message).toMatch(/^KICKOFF_TLS_CERT: .* are not a usable certificate and private key/);
    expect((error as Error).message).not.toContain("\n");
    expect(() => readTlsFiles(file("missing.crt"), pair.key)).toThrow(/^KICKOFF_TLS_CERT: cannot read ".*missing.crt": no such file$/);
  });

  it("`kickoff start` with only one of the two stops with one line naming the missing one", async () => {
    const result = await kickoffCli(["start"], { cwd: dir, env: { KICKOFF_TLS_CERT: pair.cert } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("kickoff: invalid setting KICKOFF_TLS_KEY: must be set together with KICKOFF_TLS_CERT (the private key's PEM file)\n");
  });
});
