import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/github-stand-in.js";
import { standInEnv, WEBHOOK_SECRET } from "../support/kickoff-harness.js";
import { type KickoffProcess, spawnKickoff } from "../support/kickoff-process.js";
import { completedRun, kickoffYml, ZERO } from "../support/e2e.js";
import { pushPayload, sendWebhook } from "../support/webhooks.js";
import { isGone } from "../support/processes.js";

describe("the server killed with SIGKILL mid-build", () => {
  let gh: GitHubStandIn;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "kickoff-crash-"));
  const procs: KickoffProcess[] = [];

  beforeAll(async () => {
    gh = await startGitHubStandIn();
  });
  afterAll(async () => {
    for (const p of procs) p.child.kill("SIGKILL");
    await gh?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("recovers on restart: the build runs again on the same check run and completes once", async () => {
    const repo = await gh.createRepo("acme/crash");
    const pidFile = path.join(dataDir, "attempt.pid");
    const sha = await repo.commit({
      branch: "main",
      files: {
        [CONFIG_PATH]: kickoffYml({ slow: `env:\n  PID_FILE: ${pidFile}\nrun: |\n  echo $$ > "$PID_FILE"\n  echo "attempt started"\n  sleep 4\n  echo "attempt finished"` }),
      },
    });
    const env = standInEnv(gh, dataDir, { LOG_LEVEL: "info", KICKOFF_LEASE: "3s" });
    const first = await spawnKickoff(["start"], env);
    procs.push(first);
    const res = await sendWebhook(`${first.url}/api/github/webhooks`, {
      event: "push",
      payload: pushPayload(repo, { ref: "refs/heads/main", before: ZERO, after: sha }),
      secret: WEBHOOK_SECRET,
    });
    expect(res.status).toBe(202);
    await gh.waitFor(() => gh.checkRuns(repo.fullName, sha).find((r) => r.status === "in_progress"), { timeoutMs: 30_000 });
    await gh.waitFor(() => {
      try {
        return readFileSync(pidFile, "utf8").trim() !== "";
      } catch {
        return false;
      }
    });
    const orphan = Number(readFileSync(pidFile, "utf8"));
    first.child.kill("SIGKILL");
    await first.exited;
    // The killed server's script is still running: nothing could kill it yet.
    expect(isGone(orphan)).toBe(false);

    const second = await spawnKickoff(["start"], env);
    procs.push(second);
    const run = await completedRun(gh, repo, "slow", sha, 60_000);
    expect(run.conclusion).toBe("success");
    // The restart killed the orphaned attempt before running the build again.
    expect(isGone(orphan)).toBe(true);
    expect(second.output()).toContain("recovered builds abandoned by an earlier process");
    expect(gh.checkRuns(repo.fullName, sha)).toHaveLength(1);
    const statuses = gh.checkRunHistory(run.id).map((r) => r.status);
    expect(statuses.indexOf("completed")).toBe(statuses.length - 1);
    expect(statuses.slice(0, statuses.length - 1).every((s) => s !== "completed")).toBe(true);
    expect(run.output.summary).toContain("**Attempt:** 2");
    // The log names the worker of each attempt: the killed process's, then the new one's.
    const log = await (await fetch(`${second.url}/builds/${run.external_id}/log`)).text();
    expect(log.match(/Attempt \d on worker \S+/g)).toHaveLength(2);
    expect(log).toMatch(/Attempt 1 on worker \S+#\d+#/);
    expect(log).toMatch(/Attempt 2 on worker \S+#\d+#/);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });

  it("never re-runs a deploy whose server died: it fails with a title saying so, and its deployment errors", async () => {
    const repo = await gh.createRepo("acme/crash-deploy");
    const envFile = path.join(dataDir, "environments.yml");
    writeFileSync(envFile, "production:\n  branches: [main]\n  secrets: { TOKEN: crash-secret-123 }\n");
    const sha = await repo.commit({ branch: "main", files: { [CONFIG_PATH]: kickoffYml({ ship: `environment: production\nrun: |\n  echo deploying\n  sleep 30` }) } });
    const env = standInEnv(gh, path.join(dataDir, "deploy"), { LOG_LEVEL: "info", KICKOFF_LEASE: "3s", KICKOFF_ENVIRONMENTS_FILE: envFile });
    const first = await spawnKickoff(["start"], env);
    procs.push(first);
    await sendWebhook(`${first.url}/api/github/webhooks`, {
      event: "push",
      payload: pushPayload(repo, { ref: "refs/heads/main", before: ZERO, after: sha }),
      secret: WEBHOOK_SECRET,
    });
    await gh.waitFor(() => gh.checkRuns(repo.fullName, sha).find((r) => r.status === "in_progress"), { timeoutMs: 30_000 });
    first.child.kill("SIGKILL");
    await first.exited;
    const second = await spawnKickoff(["start"], env);
    procs.push(second);
    const run = await completedRun(gh, repo, "ship", sha, 30_000);
    expect(run.conclusion).toBe("failure");
    expect(run.output.title).toBe("Runner lost mid-deploy: re-run it by hand");
    const deployment = await gh.waitFor(() => {
      const d = gh.deployments(repo.fullName).find((x) => x.sha === sha);
      return d?.statuses.at(-1)?.state === "error" ? d : undefined;
    });
    const states = deployment.statuses.map((s) => s.state);
    expect(states[0]).toBe("queued");
    expect(states).toContain("in_progress");
    expect(states.filter((s) => s === "error" || s === "success" || s === "failure")).toEqual(["error"]);
    second.child.kill("SIGTERM");
    await second.exited;
  });

  it("refuses to start with an unreadable environments file, in one line naming it", async () => {
    const proc = await spawnKickoff(["start"], standInEnv(gh, path.join(dataDir, "bad"), { KICKOFF_ENVIRONMENTS_FILE: "/nonexistent/environments.yml" }), false);
    expect(await proc.exited).toBe(1);
    const lines = proc.output().trim().split("\n");
    expect(lines).toEqual(["kickoff: could not start: KICKOFF_ENVIRONMENTS_FILE: /nonexistent/environments.yml: cannot read (ENOENT)"]);
  });
});
