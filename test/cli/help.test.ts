import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kickoffCli } from "../support/kickoff-cli.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kickoff-help-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (...args: string[]) => kickoffCli(args, { cwd: tmp });

describe("kickoff --help", () => {
  it("describes every command, and every option of each command", async () => {
    const [main, start, worker, run, lint, redeliver, short] = await Promise.all([
      cli("--help"),
      cli("start", "--help"),
      cli("worker", "--help"),
      cli("run", "--help"),
      cli("lint", "-h"),
      cli("redeliver", "--help"),
      cli(),
    ]);
    for (const r of [main, start, worker, run, lint, redeliver, short]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe("");
    }
    expect(short.stdout).toBe(main.stdout);
    for (const command of ["start", "worker", "run [pipeline…]", "lint [file]", "redeliver"]) expect(main.stdout).toContain(`  ${command}`);
    expect(start.stdout).toMatch(/^Usage: kickoff start \[--no-worker\]/);
    expect(start.stdout).toContain("--no-worker ");
    expect(worker.stdout).toMatch(/^Usage: kickoff worker/);
    for (const option of ["--event EVENT", "--branch NAME", "--dirty", "--concurrency N", "-h, --help"]) expect(run.stdout).toContain(option);
    expect(lint.stdout).toMatch(/^Usage: kickoff lint \[file\]/);
    for (const option of ["--since DURATION", "--dry-run", "-h, --help"]) expect(redeliver.stdout).toContain(option);
  });

  it("rejects unknown options, commands and extra arguments with one line and exit code 2", async () => {
    const results = await Promise.all([
      cli("run", "--bogus"),
      cli("start", "--port", "3000"),
      cli("redeliver", "--since"),
      cli("lint", "a.yml", "b.yml"),
      cli("worker", "extra"),
      cli("deploy"),
      cli("--version"),
      cli("run", "--event", "release"),
    ]);
    expect(results.map((r) => r.stderr)).toEqual([
      "kickoff run: unknown option --bogus (see kickoff run --help)\n",
      "kickoff start: unknown option --port (see kickoff start --help)\n",
      "kickoff redeliver: Option '--since <value>' argument missing (see kickoff redeliver --help)\n",
      "kickoff lint: takes at most one argument, got 2 (see kickoff lint --help)\n",
      'kickoff worker: unexpected argument "extra" (see kickoff worker --help)\n',
      'kickoff: unknown command "deploy" (commands: start, worker, run, lint, redeliver; see kickoff --help)\n',
      "kickoff: unknown option --version (commands: start, worker, run, lint, redeliver; see kickoff --help)\n",
      'kickoff run: --event must be push or pull_request, got "release" (see kickoff run --help)\n',
    ]);
    for (const r of results) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
    }
  });
});
