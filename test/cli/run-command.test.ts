import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kickoffCli, startKickoffCli } from "../support/kickoff-cli.js";
import { TestRepo } from "../runner/support/git-repo.js";
import { waitUntilGone } from "../support/processes.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kickoff-run-cmd-"));
const orderFile = path.join(tmp, "order.txt");
let repo: TestRepo;

// Pipelines that only `kickoff run <name>` starts are limited to a branch nobody pushes.
const CONFIG = `pipelines:
  build:
    on: { push: {} }
    run: |
      echo "building $KICKOFF_BRANCH on $KICKOFF_EVENT"
      echo "::error file=src/app.ts,line=3,col=5,title=Broken::something broke"
      echo "## Build report" >> "$KICKOFF_SUMMARY"
      test -z "$(git status --porcelain)" && echo "clean checkout at $(git rev-parse HEAD)"
      test -z "\${OUTSIDE_SECRET:-}" && echo "clean environment"
  unit:
    on: { push: {} }
    needs: [build]
    run: echo "unit tests"; exit 3
  after-unit:
    on: { push: {} }
    needs: [unit]
    run: echo "must not run"
  slow:
    on: { push: {} }
    timeout: 1s
    run: sleep 60
  deploy:
    on: { push: {} }
    environment: production
    run: echo deploying
  first:
    on: { push: { branches: [never] } }
    env: { ORDER: ${JSON.stringify(orderFile)} }
    run: sleep 0.5; echo first >> "$ORDER"
  second:
    on: { push: { branches: [never] } }
    needs: [first]
    env: { ORDER: ${JSON.stringify(orderFile)} }
    run: echo second >> "$ORDER"
  pr-only:
    on: { pull_request: { branches: [release] } }
    run: echo "pull request build on $KICKOFF_EVENT"
  dirty:
    on: { push: { branches: [never] } }
    run: cat uncommitted.txt
  hang:
    on: { push: { branches: [never] } }
    run: sleep 60 & echo "sleeping as $!"; wait
`;

/** The results table as {pipeline: conclusion}. */
function conclusions(stdout: string): Record<string, string> {
  const table = stdout.slice(stdout.lastIndexOf("PIPELINE  "));
  const rows = table.split("\n").slice(1).filter(Boolean);
  return Object.fromEntries(rows.map((row) => row.split(/\s+/).slice(0, 2) as [string, string]));
}

beforeAll(() => {
  repo = TestRepo.create(path.join(tmp, "repo"));
  repo.commit({ ".github/kickoff.yml": CONFIG, "src/app.ts": "export {};\n" }, "pipelines");
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("kickoff run", () => {
  it("runs what a push would start, in needs order, with GitHub's conclusions and exit 1 on failure", async () => {
    const sha = readFileSync(path.join(repo.dir, ".git/refs/heads/main"), "utf8").trim();
    const result = await kickoffCli(["run"], { cwd: repo.dir, env: { OUTSIDE_SECRET: "hunter2" } });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(conclusions(result.stdout)).toEqual({ build: "success", unit: "failure", "after-unit": "skipped", slow: "timed_out" });
    const out = result.stdout;
    // Live output behind a prefix, from a clean checkout of HEAD and a clean environment.
    expect(out).toContain("[build] building main on push\n");
    expect(out).toContain(`[build] clean checkout at ${sha}\n`);
    expect(out).toContain("[build] clean environment\n");
    expect(out).not.toContain("hunter2");
    expect(out).toContain("[unit] unit tests\n");
    expect(out).not.toContain("must not run");
    // A progress line per pipeline, the bot's titles.
    expect(out).toContain("[kickoff] unit: failure: Failed (exit 3)");
    expect(out).toContain("[kickoff] after-unit: skipped: Skipped: unit ended failure");
    expect(out).toContain("[kickoff] slow: timed_out: Timed out after 1s");
    expect(out.indexOf("[kickoff] build: success")).toBeLessThan(out.indexOf("[kickoff] unit: started"));
    // Annotations and KICKOFF_SUMMARY.
    expect(out).toContain("build: error src/app.ts:3:5: Broken: something broke");
    expect(out).toContain("Summary of build:\n  ## Build report\n");
    // A deploy runs only when named.
    expect(out).toContain("deploy: deploy pipeline, runs only when named");
    expect(out).not.toContain("deploying");
  });

  it("runs a named pipeline regardless of its triggers, after the pipelines it needs, and exits 0", async () => {
    rmSync(orderFile, { force: true });
    const result = await kickoffCli(["run", "second"], { cwd: repo.dir });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(conclusions(result.stdout)).toEqual({ first: "success", second: "success" });
    expect(readFileSync(orderFile, "utf8")).toBe("first\nsecond\n");
  });

  it("acts as a pull request into --branch with --event pull_request", async () => {
    const result = await kickoffCli(["run", "--event", "pull_request", "--branch", "release"], { cwd: repo.dir });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(conclusions(result.stdout)).toEqual({ "pr-only": "success" });
    expect(result.stdout).toContain("[pr-only] pull request build on pull_request\n");
  });

  it("uses the committed tree unless --dirty says to use the work tree as it is", async () => {
    writeFileSync(path.join(repo.dir, "uncommitted.txt"), "work in progress\n");
    try {
      const clean = await kickoffCli(["run", "dirty"], { cwd: repo.dir });
      expect(clean.code).toBe(1);
      expect(clean.stdout).toContain("uncommitted changes are left out");
      expect(conclusions(clean.stdout)).toEqual({ dirty: "failure" });

      const dirty = await kickoffCli(["run", "--dirty", "dirty"], { cwd: path.join(repo.dir, "src") });
      expect(dirty.code, dirty.stdout + dirty.stderr).toBe(0);
      expect(dirty.stdout).toContain("[dirty] work in progress\n");
    } finally {
      rmSync(path.join(repo.dir, "uncommitted.txt"));
    }
  });

  it("cancels running pipelines on Ctrl-C, kills their processes and exits non-zero", async () => {
    const cli = startKickoffCli(["run", "hang"], { cwd: repo.dir });
    const deadline = Date.now() + 30_000;
    let match: RegExpExecArray | null = null;
    while (match === null && Date.now() < deadline) {
      match = /\[hang\] sleeping as (\d+)/.exec(cli.stdout());
      if (match === null) await new Promise((r) => setTimeout(r, 50));
    }
    expect(match, cli.stdout()).not.toBeNull();
    cli.child.kill("SIGINT");
    const result = await cli.done;
    expect(result.code).toBe(130);
    expect(conclusions(result.stdout)).toEqual({ hang: "cancelled" });
    expect(await waitUntilGone(Number(match![1]), 10_000)).toBe(true);
  });

  it("refuses unknown pipelines and places that are not repositories", async () => {
    const unknown = await kickoffCli(["run", "buidl"], { cwd: repo.dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^kickoff run: no pipeline named `buidl` \(did you mean `build`\?\)/);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);

    const notRepo = await kickoffCli(["run"], { cwd: tmp });
    expect(notRepo.code).toBe(1);
    expect(notRepo.stderr).toMatch(/not inside a git work tree/);
  });
});
