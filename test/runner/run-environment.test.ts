import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildRunEnvironment } from "../../src/runner/run-environment.js";
import type { RunContext } from "../../src/runner/run-environment.js";

const push: RunContext = {
  event: "push",
  repository: "acme/shop",
  sha: "a".repeat(40),
  ref: "refs/heads/main",
  branch: "main",
  prNumber: null,
  pipeline: "test",
  buildId: "42",
  summaryFile: "/data/builds/42/summary.md",
  home: "/data/builds/42/home",
  pipelineEnv: { NODE_ENV: "test" },
};

describe("buildRunEnvironment", () => {
  afterEach(() => {
    delete process.env.SECRET_SHOULD_NOT_LEAK;
  });

  it("holds exactly the documented variables", () => {
    const env = buildRunEnvironment(push);
    expect(Object.keys(env).sort()).toEqual(
      [
        "PATH",
        "HOME",
        "LANG",
        "GIT_TERMINAL_PROMPT",
        "NODE_ENV",
        "CI",
        "KICKOFF",
        "KICKOFF_EVENT",
        "KICKOFF_REPOSITORY",
        "KICKOFF_SHA",
        "KICKOFF_REF",
        "KICKOFF_BRANCH",
        "KICKOFF_PIPELINE",
        "KICKOFF_BUILD_ID",
        "KICKOFF_SUMMARY",
      ].sort(),
    );
    expect(env).toMatchObject({
      HOME: "/data/builds/42/home",
      LANG: "C.UTF-8",
      GIT_TERMINAL_PROMPT: "0",
      CI: "true",
      KICKOFF: "true",
      KICKOFF_EVENT: "push",
      KICKOFF_REPOSITORY: "acme/shop",
      KICKOFF_SHA: "a".repeat(40),
      KICKOFF_REF: "refs/heads/main",
      KICKOFF_BRANCH: "main",
      KICKOFF_PIPELINE: "test",
      KICKOFF_BUILD_ID: "42",
      KICKOFF_SUMMARY: "/data/builds/42/summary.md",
      NODE_ENV: "test",
    });
  });

  it("takes nothing from the server's environment", () => {
    process.env.SECRET_SHOULD_NOT_LEAK = "hunter2";
    const env = buildRunEnvironment(push);
    expect(Object.values(env)).not.toContain("hunter2");
    expect(env).not.toHaveProperty("SECRET_SHOULD_NOT_LEAK");
  });

  it("puts the running node first on a fixed PATH", () => {
    const dirs = buildRunEnvironment(push).PATH?.split(":") ?? [];
    expect(dirs[0]).toBe(path.dirname(process.execPath));
    expect(dirs).toContain("/usr/bin");
    expect(new Set(dirs).size).toBe(dirs.length);
  });

  it("adds KICKOFF_PR_NUMBER for pull requests", () => {
    const env = buildRunEnvironment({ ...push, event: "pull_request", ref: "refs/pull/7/head", branch: "feature", prNumber: 7 });
    expect(env.KICKOFF_PR_NUMBER).toBe("7");
    expect(buildRunEnvironment(push)).not.toHaveProperty("KICKOFF_PR_NUMBER");
  });

  it("sets KICKOFF_BRANCH empty when the build is not on a branch", () => {
    expect(buildRunEnvironment({ ...push, ref: "refs/tags/v1", branch: null }).KICKOFF_BRANCH).toBe("");
  });

  it("lets the pipeline's env override PATH and friends, but never CI or KICKOFF_*", () => {
    const env = buildRunEnvironment({
      ...push,
      pipelineEnv: { PATH: "/opt/tools/bin:/usr/bin:/bin", LANG: "de_DE.UTF-8", CI: "false", KICKOFF_SHA: "fake", KICKOFF_PR_NUMBER: "1", KICKOFF_ENVIRONMENT: "production" },
    });
    expect(env.PATH).toBe("/opt/tools/bin:/usr/bin:/bin");
    expect(env.LANG).toBe("de_DE.UTF-8");
    expect(env.CI).toBe("true");
    expect(env.KICKOFF_SHA).toBe("a".repeat(40));
    expect(env).not.toHaveProperty("KICKOFF_PR_NUMBER");
    expect(env).not.toHaveProperty("KICKOFF_ENVIRONMENT");
  });

  it("adds KICKOFF_ENVIRONMENT and the secrets for deploys", () => {
    const env = buildRunEnvironment({ ...push, pipeline: "deploy", environment: "production", secrets: { DEPLOY_TOKEN: "s3cret" } });
    expect(env.KICKOFF_ENVIRONMENT).toBe("production");
    expect(env.DEPLOY_TOKEN).toBe("s3cret");
  });

  it("never adds secrets to a build that is not a deploy", () => {
    const env = buildRunEnvironment({ ...push, environment: null, secrets: { DEPLOY_TOKEN: "s3cret" } });
    expect(env).not.toHaveProperty("DEPLOY_TOKEN");
    expect(env).not.toHaveProperty("KICKOFF_ENVIRONMENT");
  });

  it("drops names a process environment cannot carry", () => {
    const env = buildRunEnvironment({ ...push, pipelineEnv: { "A=B": "x", "": "y", "1X": "z", GOOD_ONE: "ok", NUL: "a\0b" } });
    expect(env.GOOD_ONE).toBe("ok");
    expect(Object.keys(env)).not.toContain("A=B");
    expect(Object.keys(env)).not.toContain("1X");
    expect(env).not.toHaveProperty("NUL");
  });
});
