import type { BuildConfig } from "../../src/planner/build-config.js";
import type { NewBuild } from "../../src/store/schema.js";
import type { StandInRepo } from "./github-stand-in.js";

let counter = 0;

/** A queued build row with plausible values; override what a test cares about. */
export function newBuild(overrides: Partial<NewBuild> = {}): NewBuild {
  counter += 1;
  return {
    repository: "acme/shop",
    repository_id: 1,
    installation_id: 1,
    private: 0,
    clone_url: "http://127.0.0.1:1/acme/shop.git",
    html_url: "https://github.com/acme/shop",
    pipeline: `p${counter}`,
    sha: "a".repeat(40),
    ref: "refs/heads/main",
    branch: "main",
    event: "push",
    pr_number: null,
    trigger_delivery: null,
    sender: null,
    dedupe_key: null,
    config: buildConfig({ run: "true" }),
    status: "queued",
    queued_at: 0,
    ...overrides,
  };
}

/** A frozen pipeline config as the planner stores it on a build. */
export function buildConfig(overrides: Partial<BuildConfig> & { run: string }): string {
  return JSON.stringify({ env: {}, timeoutMs: 60_000, needs: [], environment: null, url: null, ...overrides } satisfies BuildConfig);
}

/** A queued build of a stand-in repository, as if planned for it. */
export function newBuildOf(repo: StandInRepo, overrides: Partial<NewBuild> = {}): NewBuild {
  return newBuild({
    repository: repo.fullName,
    repository_id: repo.id,
    installation_id: repo.installationId,
    clone_url: repo.cloneUrl,
    html_url: repo.htmlUrl,
    ...overrides,
  });
}
