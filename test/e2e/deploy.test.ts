import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Probot } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import type { StandInRepo } from "../support/github-stand-in.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";
import { completedRun, kickoffYml, processed, pushCommit } from "../support/e2e.js";
import { TestOctokit } from "../support/probot-octokit.js";
import { deploymentPayload } from "../support/webhooks.js";

const SECRET = "s3cr3t-deploy-token-0123456789";
const FROM_ENV = "value-from-the-server-environment";

const config = (o: { needs: boolean; sleep: number }) =>
  kickoffYml({
    test: `run: echo testing`,
    deploy: [
      "on:",
      "  push: { branches: [main, feature/*] }",
      ...(o.needs ? ["needs: [test]"] : []),
      "environment: production",
      "url: https://shop.example.com",
      "run: |",
      '  echo "token: $DEPLOY_TOKEN"',
      '  printf "split: %s" "${DEPLOY_TOKEN:0:10}"; sleep 0.3; printf "%s\\n" "${DEPLOY_TOKEN:10}"',
      '  echo "b64: $(printf %s "$DEPLOY_TOKEN" | base64)"',
      '  echo "other: $OTHER_SECRET"',
      '  echo "::warning file=deploy.sh,line=1::leaked $DEPLOY_TOKEN in an annotation"',
      '  echo "summary $DEPLOY_TOKEN" >> "$KICKOFF_SUMMARY"',
      '  echo "env=$KICKOFF_ENVIRONMENT"',
      `  sleep ${o.sleep}`,
    ].join("\n"),
    stage: `environment: staging\non:\n  deployment: {}\nrun: |\n  echo "staging with $STAGING_KEY"`,
  });
const CONFIG = config({ needs: true, sleep: 0 });

describe("deploy pipelines", () => {
  let h: Harness;
  let repo: StandInRepo;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "kickoff-envs-"));
    const file = path.join(dir, "environments.yml");
    writeFileSync(
      file,
      [
        "production:",
        "  branches: [main]",
        "  repositories: [acme/deploys]",
        "  secrets:",
        `    DEPLOY_TOKEN: "${SECRET}"`,
        "    OTHER_SECRET: ${KICKOFF_TEST_OTHER_SECRET}",
        "staging:",
        "  branches: ['**']",
        "  secrets: { STAGING_KEY: staging-key-1234 }",
      ].join("\n"),
    );
    process.env.KICKOFF_TEST_OTHER_SECRET = FROM_ENV;
    h = await startHarness({ env: { KICKOFF_ENVIRONMENTS_FILE: file, KICKOFF_CONCURRENCY: "3" } });
    repo = await h.gh.createRepo("acme/deploys");
  });
  afterAll(async () => {
    await h?.close();
    delete process.env.KICKOFF_TEST_OTHER_SECRET;
  });

  it("deploys main after its needs passed: deployment, statuses in order, secrets masked everywhere", async () => {
    const sha = await pushCommit(h, repo, "main", { [CONFIG_PATH]: CONFIG });
    const test = await completedRun(h.gh, repo, "test", sha);
    const deploy = await completedRun(h.gh, repo, "deploy", sha);
    expect(deploy.conclusion).toBe("success");
    expect(Date.parse(deploy.started_at!)).toBeGreaterThanOrEqual(Date.parse(test.completed_at!));

    const deployments = await h.gh.waitFor(() => {
      const d = h.gh.deployments(repo.fullName).filter((x) => x.sha === sha);
      return d.length === 1 && d[0]!.statuses.at(-1)?.state === "success" ? d : undefined;
    });
    const d = deployments[0]!;
    expect(d).toMatchObject({ environment: "production", ref: sha, auto_merge: false, required_contexts: [], payload: { kickoff_build: Number(deploy.external_id) } });
    expect(d.statuses.map((s) => s.state)).toEqual(["queued", "in_progress", "success"]);
    expect(d.statuses.every((s) => s.log_url === deploy.details_url)).toBe(true);
    expect(d.statuses.at(-1)?.environment_url).toBe("https://shop.example.com");

    const log = await (await fetch(`${h.kickoff.url}/builds/${deploy.external_id}/log`)).text();
    const b64 = Buffer.from(SECRET).toString("base64");
    for (const text of [log, deploy.output.text ?? "", deploy.output.summary ?? "", JSON.stringify(deploy.output.annotations)]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(b64);
      expect(text).not.toContain(SECRET.slice(10));
      expect(text).not.toContain(FROM_ENV);
    }
    expect(log).toContain("token: ***");
    expect(log).toContain("split: ***");
    expect(log).toContain("b64: ***");
    expect(log).toContain("other: ***");
    expect(log).toContain("env=production");
    expect(deploy.output.summary).toContain("summary ***");
    expect(deploy.output.annotations[0]?.message).toBe("leaked *** in an annotation");
  });

  it("refuses a branch the environment does not allow: no deployment, nothing run", async () => {
    const sha = await pushCommit(h, repo, "feature/x", { [CONFIG_PATH]: CONFIG, "x.txt": "x" });
    const deploy = await completedRun(h.gh, repo, "deploy", sha);
    expect(deploy.conclusion).toBe("failure");
    expect(deploy.output.title).toBe("Deploy to production is not allowed from refs/heads/feature/x");
    expect(h.gh.checkRunHistory(deploy.id).map((r) => r.status)).toEqual(["completed"]);
    expect(h.gh.deployments(repo.fullName).filter((x) => x.sha === sha)).toEqual([]);
  });

  it("runs one deploy per environment at a time; a newer queued deploy supersedes older queued ones, never a running one", async () => {
    const slow = config({ needs: false, sleep: 2 });
    const a = await pushCommit(h, repo, "main", { [CONFIG_PATH]: slow, "v.txt": "a" });
    await h.gh.waitFor(() => h.gh.checkRuns(repo.fullName, a).find((r) => r.name === "deploy" && r.status === "in_progress"));
    const b = await pushCommit(h, repo, "main", { "v.txt": "b" });
    const c = await pushCommit(h, repo, "main", { "v.txt": "c" });
    const runA = await completedRun(h.gh, repo, "deploy", a);
    const runB = await completedRun(h.gh, repo, "deploy", b);
    const runC = await completedRun(h.gh, repo, "deploy", c);
    expect(runA.conclusion).toBe("success"); // running: never cancelled by superseding
    expect(runB.conclusion).toBe("cancelled");
    expect(runB.output.title).toBe(`Superseded by ${c.slice(0, 7)}`);
    expect(runC.conclusion).toBe("success");
    expect(Date.parse(runC.started_at!)).toBeGreaterThanOrEqual(Date.parse(runA.completed_at!));
    const statesB = h.gh
      .deployments(repo.fullName)
      .find((x) => x.sha === b)
      ?.statuses.map((s) => s.state);
    expect(statesB?.at(-1)).toBe("error");
  });

  it("runs the matching pipeline for a deployment created outside Kickoff, and reports on it", async () => {
    const sha = await repo.commit({ branch: "release", files: { [CONFIG_PATH]: CONFIG, "r.txt": "r" } });
    const probot = new Probot({ appId: h.gh.appId, privateKey: h.gh.privateKey, baseUrl: h.gh.apiUrl, Octokit: TestOctokit });
    const octokit = await probot.auth(repo.installationId);
    const { data } = await octokit.rest.repos.createDeployment({
      owner: repo.owner,
      repo: repo.name,
      ref: "release",
      environment: "staging",
      required_contexts: [],
      auto_merge: false,
    });
    const deploymentId = (data as { id: number }).id;
    const res = await h.send("deployment", deploymentPayload(repo, { id: deploymentId, sha, ref: "release", environment: "staging", creator: "release-bot" }), {
      id: "external-deployment",
    });
    expect(res.status).toBe(202);
    expect(await processed(h, "external-deployment")).toMatch(/^builds: #\d+ stage$/);
    const run = await completedRun(h.gh, repo, "stage", sha);
    expect(run.conclusion).toBe("success");
    expect(run.output.text).toContain("staging with ***");
    const ours = await h.gh.waitFor(() => {
      const d = h.gh.deployments(repo.fullName).find((x) => x.id === deploymentId);
      return d?.statuses.at(-1)?.state === "success" ? d : undefined;
    });
    expect(ours.statuses.map((s) => s.state)).toEqual(["queued", "in_progress", "success"]);
    expect(h.gh.deployments(repo.fullName).filter((x) => x.sha === sha)).toHaveLength(1);
  });
});
