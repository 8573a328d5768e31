import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import type { CheckRunRecord, StandInRepo } from "../support/github-stand-in.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";
import { completedRun, kickoffYml, processed, pushCommit } from "../support/e2e.js";
import { checkRunPayload, checkSuitePayload, pullRequestPayload } from "../support/webhooks.js";
import { isGone } from "../support/processes.js";

describe("re-runs, cancels, superseding and needs, end to end", () => {
  let h: Harness;
  let repo: StandInRepo;
  const scratch = mkdtempSync(path.join(os.tmpdir(), "kickoff-control-"));

  beforeAll(async () => {
    h = await startHarness({ env: { KICKOFF_CONCURRENCY: "3", KICKOFF_LEASE: "3s" } });
    repo = await h.gh.createRepo("acme/control");
    repo.setPermission("maintainer", "maintain");
    repo.setPermission("reader", "read");
  });
  afterAll(async () => {
    await h?.close();
  });

  const runsNamed = (sha: string, name: string) => h.gh.checkRuns(repo.fullName, sha).filter((r) => r.name === name);

  it("re-runs one pipeline on check_run.rerequested, and all of them on check_suite.rerequested", async () => {
    const sha = await pushCommit(h, repo, "main", { [CONFIG_PATH]: kickoffYml({ a: `run: echo a`, b: `run: echo b` }) });
    const a = await completedRun(h.gh, repo, "a", sha);
    await completedRun(h.gh, repo, "b", sha);
    const res = await h.send("check_run", checkRunPayload(repo, { action: "rerequested", run: a, sender: "maintainer" }), { id: "rerun-a" });
    expect(res.status).toBe(202);
    expect(await processed(h, "rerun-a")).toMatch(/^re-run: build #\d+ a$/);
    const again = await h.gh.waitFor(() => h.gh.checkRuns(repo.fullName, sha).filter((r) => r.name === "a" && r.status === "completed").length === 2);
    expect(again).toBe(true);
    const fresh = h.gh
      .checkRuns(repo.fullName, sha)
      .filter((r) => r.name === "a")
      .map((r) => Number(r.external_id));
    expect(new Set(fresh).size).toBe(2);

    const suite = await h.send("check_suite", checkSuitePayload(repo, { action: "rerequested", headSha: sha, sender: "maintainer" }), { id: "rerun-all" });
    expect(suite.status).toBe(202);
    expect(await processed(h, "rerun-all")).toMatch(/^re-run all: #\d+ a, #\d+ b$/);
    await h.gh.waitFor(() => h.gh.checkRuns(repo.fullName, sha).filter((r) => r.status === "completed").length === 5);
  });

  it("cancels a running build from the Cancel button and leaves no process behind", async () => {
    const pidFile = path.join(scratch, "cancel.pid");
    const sha = await pushCommit(h, repo, "cancel-me", {
      [CONFIG_PATH]: kickoffYml({ long: `env:\n  PID_FILE: ${pidFile}\nrun: |\n  sleep 600 &\n  echo $! > "$PID_FILE"\n  sleep 600` }),
    });
    const run = await h.gh.waitFor(() => runsNamed(sha, "long").find((r) => r.status === "in_progress"));
    expect(run.actions).toEqual([{ label: "Cancel", description: "Stop this build", identifier: "cancel" }]);
    const child = Number(await h.gh.waitFor(() => (readable(pidFile) ? readFileSync(pidFile, "utf8").trim() : undefined)));
    const res = await h.send("check_run", checkRunPayload(repo, { action: "requested_action", run, requestedAction: "cancel", sender: "maintainer" }), { id: "cancel-button" });
    expect(res.status).toBe(202);
    const done = await completedRun(h.gh, repo, "long", sha);
    expect(done.conclusion).toBe("cancelled");
    expect(done.output.title).toBe("Cancelled by @maintainer");
    expect(done.actions).toEqual([]);
    expect(isGone(child)).toBe(true);
  });

  it("refuses the Cancel button from someone without write access", async () => {
    const sha = await pushCommit(h, repo, "refuse", { [CONFIG_PATH]: kickoffYml({ short: `run: sleep 2` }) });
    const run = await h.gh.waitFor(() => runsNamed(sha, "short").find((r) => r.status === "in_progress"));
    await h.send("check_run", checkRunPayload(repo, { action: "requested_action", run, requestedAction: "cancel", sender: "reader" }), { id: "cancel-by-reader" });
    expect(await processed(h, "cancel-by-reader")).toMatch(/refused cancel: @reader has read access/);
    expect((await completedRun(h.gh, repo, "short", sha)).conclusion).toBe("success");
  });

  it("supersedes a running build of an older commit on the same branch, unless the pipeline opts out", async () => {
    const config = kickoffYml({ slow: `run: sleep 30`, keep: `cancel-superseded: false\nrun: sleep 1` });
    const first = await pushCommit(h, repo, "feature/supersede", { [CONFIG_PATH]: config, "v.txt": "1" });
    await h.gh.waitFor(() => runsNamed(first, "slow").find((r) => r.status === "in_progress"));
    const second = await pushCommit(h, repo, "feature/supersede", { "v.txt": "2" });
    const firstSlow = await completedRun(h.gh, repo, "slow", first);
    expect(firstSlow.conclusion).toBe("cancelled");
    expect(firstSlow.output.title).toBe(`Superseded by ${second.slice(0, 7)}`);
    expect((await completedRun(h.gh, repo, "keep", first)).conclusion).toBe("success");
    const secondSlow = await h.gh.waitFor(() => runsNamed(second, "slow").find((r) => r.status === "in_progress"));
    await h.send("check_run", checkRunPayload(repo, { action: "requested_action", run: secondSlow, requestedAction: "cancel", sender: "maintainer" }), { id: "cleanup" });
    await completedRun(h.gh, repo, "slow", second);
  });

  it("supersedes a queued build, which goes from queued straight to completed", async () => {
    // No worker: builds stay queued.
    const intake = await startHarness({ worker: false, gh: h.gh });
    try {
      const queuedRepo = await h.gh.createRepo("acme/queued");
      const config = kickoffYml({ test: `run: "true"` });
      const first = await pushCommit(intake, queuedRepo, "main", { [CONFIG_PATH]: config, "v.txt": "1" });
      const second = await pushCommit(intake, queuedRepo, "main", { "v.txt": "2" });
      const old = await completedRun(h.gh, queuedRepo, "test", first);
      expect(old.conclusion).toBe("cancelled");
      expect(old.output.title).toBe(`Superseded by ${second.slice(0, 7)}`);
      expect(h.gh.checkRunHistory(old.id).map((r) => r.status)).toEqual(["queued", "completed"]);
      const row = await intake.kickoff.store.db.selectFrom("builds").selectAll().where("sha", "=", first).executeTakeFirstOrThrow();
      expect(row.superseded_by).toBe(second);
      expect(await h.gh.waitFor(() => h.gh.checkRuns(queuedRepo.fullName, second)[0]?.status)).toBe("queued");
    } finally {
      await intake.close();
    }
  });

  it("runs `needs` in order and skips dependents of a failure", async () => {
    const sha = await pushCommit(h, repo, "needs", {
      [CONFIG_PATH]: kickoffYml({
        build: `run: echo built`,
        test: `needs: [build]\nrun: exit 1`,
        deploy: `needs: [test]\nrun: echo deployed`,
        docs: `needs: [build]\nrun: echo docs`,
      }),
    });
    const build = await completedRun(h.gh, repo, "build", sha);
    const test = await completedRun(h.gh, repo, "test", sha);
    const deploy = await completedRun(h.gh, repo, "deploy", sha);
    const docs = await completedRun(h.gh, repo, "docs", sha);
    expect([build.conclusion, test.conclusion, deploy.conclusion, docs.conclusion]).toEqual(["success", "failure", "skipped", "success"]);
    expect(deploy.output.title).toBe("Skipped: test ended failure");
    expect(h.gh.checkRunHistory(deploy.id).map((r) => r.status)).toEqual(["queued", "completed"]);
    expect(Date.parse(test.started_at!)).toBeGreaterThanOrEqual(Date.parse(build.completed_at!));
  });

  it("starts a pipeline whose needs already passed for the commit under an earlier event", async () => {
    const config = kickoffYml({ unit: `run: "true"`, integration: `on:\n  pull_request: {}\nneeds: [unit]\nrun: echo integration` });
    const sha = await pushCommit(h, repo, "feature/prs-after-push", { [CONFIG_PATH]: config });
    expect((await completedRun(h.gh, repo, "unit", sha)).conclusion).toBe("success");
    repo.pull(77, { baseBranch: "main", headSha: sha, headRef: "feature/prs-after-push" });
    const base = await repo.head("main");
    await h.send("pull_request", pullRequestPayload(repo, { action: "opened", number: 77, headSha: sha, headRef: "feature/prs-after-push", baseRef: "main", baseSha: base }), {
      id: "pr-after-push",
    });
    expect(await processed(h, "pr-after-push")).toMatch(/builds: #\d+ integration; already built for this commit: unit/);
    expect((await completedRun(h.gh, repo, "integration", sha)).conclusion).toBe("success");
  });
});

function readable(file: string): boolean {
  try {
    return readFileSync(file, "utf8").trim() !== "";
  } catch {
    return false;
  }
}
