import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import type { StandInRepo } from "../support/github-stand-in.js";
import pino from "pino";
import { startKickoff } from "../../src/kickoff.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";
import { completedRun, eventually, kickoffYml, pushCommit, ZERO } from "../support/e2e.js";
import { pushPayload } from "../support/webhooks.js";
import { isGone } from "../support/processes.js";

describe("timeouts, big output and GitHub outages, end to end", () => {
  let h: Harness;
  let repo: StandInRepo;
  const scratch = mkdtempSync(path.join(os.tmpdir(), "kickoff-resilience-"));

  beforeAll(async () => {
    h = await startHarness();
    repo = await h.gh.createRepo("acme/resilience");
  });
  afterAll(async () => {
    await h?.close();
  });

  it("kills the whole process tree on timeout, background children included", async () => {
    const pidFile = path.join(scratch, "child.pid");
    const sha = await pushCommit(h, repo, "main", {
      [CONFIG_PATH]: kickoffYml({ slow: `timeout: 2s\nenv:\n  PID_FILE: ${pidFile}\nrun: |\n  sleep 1000 &\n  echo $! > "$PID_FILE"\n  echo started\n  sleep 1000` }),
    });
    const run = await completedRun(h.gh, repo, "slow", sha);
    expect(run.conclusion).toBe("timed_out");
    expect(run.output.title).toBe("Timed out after 2s");
    expect(run.output.text).toContain("started");
    const childPid = Number(readFileSync(pidFile, "utf8"));
    expect(childPid).toBeGreaterThan(0);
    expect(isGone(childPid)).toBe(true);
  });

  it("streams 200 MB of output to the database with bounded memory and a log tail within GitHub's limit", async () => {
    const sha = await pushCommit(h, repo, "main", {
      [CONFIG_PATH]: kickoffYml({
        loud: `run: |\n  set +o pipefail\n  yes "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" | head -c 200000000\n  echo\n  echo the end`,
      }),
    });
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const run = await completedRun(h.gh, repo, "loud", sha, 240_000);
    clearInterval(sampler);
    expect(run.conclusion).toBe("success");
    expect(Buffer.byteLength(run.output.text ?? "", "utf8")).toBeLessThanOrEqual(65_535);
    expect(run.output.text).toContain("the end");
    const size = await h.kickoff.store.db
      .selectFrom("log_chunks")
      .select((eb) => eb.fn.sum<number>(eb.fn("length", ["data"])).as("bytes"))
      .where("build_id", "=", Number(run.external_id))
      .executeTakeFirstOrThrow();
    expect(Number(size.bytes)).toBeGreaterThan(200_000_000);
    const growthMb = (peak - baseline) / 1024 / 1024;
    console.log(`200 MB run: RSS growth ${growthMb.toFixed(1)} MB`);
    expect(growthMb).toBeLessThan(64);
  }, 300_000);

  it("delays reports while GitHub answers 502/429 and delivers them in order once it recovers", async () => {
    h.gh.fail({ method: "POST", path: /\/check-runs$/, status: 502, times: 2 });
    h.gh.fail({ method: "PATCH", path: /\/check-runs\/\d+$/, status: 429, times: 1, headers: { "retry-after": "1" } });
    const sha = await pushCommit(h, repo, "main", { [CONFIG_PATH]: kickoffYml({ flaky: `run: echo ok` }) });
    const run = await completedRun(h.gh, repo, "flaky", sha, 60_000);
    expect(run.conclusion).toBe("success");
    const statuses = h.gh.checkRunHistory(run.id).map((r) => r.status);
    expect(statuses[0]).toBe("queued");
    expect(statuses.at(-1)).toBe("completed");
    expect(statuses.filter((s) => s === "completed")).toHaveLength(1);
    const faults = h.gh.requests.filter((r) => r.fault !== undefined && /check-runs/.test(r.path)).map((r) => r.fault);
    expect(faults).toEqual([502, 502, 429]);
    // One check run, not one per retried create.
    expect(h.gh.checkRuns(repo.fullName, sha)).toHaveLength(1);
  });

  it("survives a connection reset mid-report without duplicating or reordering", async () => {
    h.gh.fail({ method: "PATCH", path: /\/check-runs\/\d+$/, status: "reset", times: 1 });
    const sha = await pushCommit(h, repo, "main", { [CONFIG_PATH]: kickoffYml({ reset: `run: echo ok` }) });
    const run = await completedRun(h.gh, repo, "reset", sha, 60_000);
    expect(run.conclusion).toBe("success");
    expect(h.gh.checkRuns(repo.fullName, sha)).toHaveLength(1);
  });

  it("retries a report when GitHub accepts the connection and never answers", async () => {
    h.gh.fail({ method: "POST", path: /\/check-runs$/, status: "hang", times: 1 });
    const sha = await pushCommit(h, repo, "main", { [CONFIG_PATH]: kickoffYml({ hung: `run: echo ok` }) });
    const run = await completedRun(h.gh, repo, "hung", sha, 60_000);
    expect(run.conclusion).toBe("success");
    expect(h.gh.checkRuns(repo.fullName, sha)).toHaveLength(1);
  });

  it("fails the build with a clear title when GitHub will not issue an installation token", async () => {
    // An intake-only server plans the build; a separate worker (no cached token) then
    // meets a GitHub whose token endpoint fails.
    const server = await startHarness({ worker: false, gh: h.gh });
    try {
      const sha = await repo.commit({ branch: "main", files: { [CONFIG_PATH]: kickoffYml({ tokenless: `run: echo should not run` }) } });
      const res = await server.send("push", pushPayload(repo, { ref: "refs/heads/main", before: ZERO, after: sha }));
      expect(res.status).toBe(202);
      await h.gh.waitFor(() => h.gh.checkRuns(repo.fullName, sha).find((r) => r.name === "tokenless"));
      h.gh.fail({ method: "POST", path: /access_tokens$/, status: 500 });
      const worker = await startKickoff({ settings: server.settings, log: pino({ level: "silent" }), server: false, worker: true, githubTimeoutMs: 2000 });
      const finished = await eventually(
        async () => (await server.kickoff.store.db.selectFrom("builds").selectAll().where("sha", "=", sha).where("status", "=", "done").executeTakeFirst()) ?? undefined,
        "build finished",
        60_000,
      );
      await worker.close();
      h.gh.clearFailures();
      expect(finished.title).toBe("Checkout failed: GitHub did not issue an installation token (HTTP 500)");
      const run = await completedRun(h.gh, repo, "tokenless", sha, 60_000);
      expect(run.conclusion).toBe("failure");
      expect(run.output.title).toBe(finished.title);
      expect(run.output.text ?? "").not.toContain("\nshould not run");
    } finally {
      h.gh.clearFailures();
      await server.close();
    }
  });
});
