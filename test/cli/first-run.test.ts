import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kickoffCli } from "../support/kickoff-cli.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kickoff-first-run-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A directory to start in, optionally with a .env (a string) or something unreadable there. */
function place(name: string, dotenv?: string | "directory"): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  if (dotenv === "directory") mkdirSync(path.join(dir, ".env"));
  else if (dotenv !== undefined) writeFileSync(path.join(dir, ".env"), dotenv);
  return dir;
}

const STACK_FRAME = /^\s+at /m;

describe("kickoff start on a fresh machine", () => {
  it("without App credentials says which variables to set and where to find them, without a stack trace", async () => {
    const [none, partial] = await Promise.all([
      kickoffCli(["start"], { cwd: place("none") }),
      kickoffCli(["start"], { cwd: place("partial", "APP_ID=12345\n# a comment\nKICKOFF_DATA_DIR=./data\n") }),
    ]);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe("");
    expect(none.stderr).toMatch(/^Kickoff cannot start: missing APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET\.\n/);
    for (const text of [
      "APP_ID=<",
      "PRIVATE_KEY_PATH=<",
      "PRIVATE_KEY=<",
      "WEBHOOK_SECRET=<",
      "Generate a private key",
      "New GitHub App",
      ".env.example",
      "/api/github/webhooks",
    ]) {
      expect(none.stderr).toContain(text);
    }
    expect(none.stderr).not.toMatch(STACK_FRAME);

    // Values in .env count: only what is still missing is asked for.
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(/^Kickoff cannot start: missing PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET\.\n/);
    expect(partial.stderr).not.toContain("APP_ID=<");
  });

  it("names the one bad setting in one line", async () => {
    const unreadableKey = path.join(tmp, "unreadable.pem");
    writeFileSync(unreadableKey, "-----BEGIN RSA PRIVATE KEY-----\n");
    chmodSync(unreadableKey, 0o000);
    const base = { APP_ID: "1", WEBHOOK_SECRET: "s3cret" };
    const cases: Array<[Record<string, string>, string | "directory" | undefined, RegExp]> = [
      [{ ...base, PRIVATE_KEY_PATH: path.join(tmp, "missing.pem") }, undefined, /^kickoff: invalid setting PRIVATE_KEY_PATH: cannot read ".*missing\.pem": no such file\n$/],
      [{ ...base, PRIVATE_KEY_PATH: tmp }, undefined, /^kickoff: invalid setting PRIVATE_KEY_PATH: cannot read ".*": is a directory, not the \.pem file\n$/],
      [{ ...base, PRIVATE_KEY: "not a key" }, undefined, /^kickoff: invalid setting PRIVATE_KEY: .*\n$/],
      [{}, "APP_ID=twelve\n", /^kickoff: invalid setting APP_ID: expected a whole number, got "twelve"\n$/],
      [{ KICKOFF_REDELIVER_ON_START: "soon" }, undefined, /^kickoff: invalid setting KICKOFF_REDELIVER_ON_START: expected a duration .*"soon"\n$/],
      [{}, "directory", /^kickoff: \.env: cannot read it \(EISDIR\)\n$/],
    ];
    // root reads any file whatever its mode, so that case only means something for others.
    if (process.getuid?.() !== 0)
      cases.push([{ ...base, PRIVATE_KEY_PATH: unreadableKey }, undefined, /^kickoff: invalid setting PRIVATE_KEY_PATH: cannot read ".*": permission denied\n$/]);
    const results = await Promise.all(cases.map(([env, dotenv], i) => kickoffCli(["start"], { cwd: place(`case-${i}`, dotenv), env })));
    results.forEach((result, i) => {
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(cases[i]![2]);
    });
  });

  it("kickoff worker needs no webhook secret and says to rerun itself", async () => {
    const result = await kickoffCli(["worker"], { cwd: place("worker") });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Kickoff cannot start: missing APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH\.\n/);
    expect(result.stderr).toContain("Then run kickoff worker again.");
  });
});
