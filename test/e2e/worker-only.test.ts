import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../../src/config/settings.js";
import { type RunningKickoff, startKickoff } from "../../src/kickoff.js";
import { insertBuild } from "../../src/store/queue.js";
import { buildConfig, newBuildOf } from "../support/builds.js";
import { eventually } from "../support/e2e.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/github-stand-in.js";
import { standInEnv } from "../support/kickoff-harness.js";

/**
 * A process that only runs workers (`kickoff worker`) has no planner to fetch an
 * installation token first: it must get one from the configured GitHub host itself
 * (GHE_HOST here, the stand-in), not from api.github.com.
 */
describe("a worker-only process", () => {
  let gh: GitHubStandIn;
  let kickoff: RunningKickoff;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "kickoff-worker-only-"));

  beforeAll(async () => {
    gh = await startGitHubStandIn();
    const settings = loadSettings(standInEnv(gh, dataDir));
    kickoff = await startKickoff({ settings, log: pino({ level: settings.logLevel }), server: false, worker: true, githubTimeoutMs: 2000 });
  });
  afterAll(async () => {
    await kickoff?.close();
    await gh?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("gets its installation token from the configured GitHub host and builds", async () => {
    const repo = await gh.createRepo("acme/worker-only");
    const sha = await repo.commit({ branch: "main", files: { "README.md": "hi\n" } });
    const build = await insertBuild(
      kickoff.store.db,
      newBuildOf(repo, {
        sha,
        config: buildConfig({ run: "test -f README.md" }),
        queued_at: Date.now(),
      }),
    );
    const done = await eventually(async () => {
      const row = await kickoff.store.db.selectFrom("builds").selectAll().where("id", "=", build!.id).executeTakeFirst();
      return row?.status === "done" ? row : undefined;
    }, "the build never finished");
    expect({ conclusion: done.conclusion, title: done.title }).toMatchObject({ conclusion: "success" });
    expect(gh.requests.some((r) => r.path === `/api/v3/app/installations/${repo.installationId}/access_tokens`)).toBe(true);
  });
});
