import { describe, expect, it } from "vitest";
import type { KickoffConfig } from "../../src/config/kickoff-config.js";
import { matchPipelines, needsChangedFiles, pipelineMatches, type TriggerEvent } from "../../src/config/match-triggers.js";
import { parseKickoffConfig } from "../../src/config/parse-kickoff-config.js";

function config(text: string): KickoffConfig {
  const result = parseKickoffConfig(text);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

/** A one-pipeline config with the given `on:` block (flow style). */
function withOn(on: string | null): KickoffConfig {
  return config(`pipelines:\n  p:\n${on === null ? "" : `    on: ${on}\n`}    run: x\n`);
}

function branchPush(refName: string, changedFiles: string[] | null = null): TriggerEvent {
  return { event: "push", refType: "branch", refName, changedFiles };
}

function tagPush(refName: string, changedFiles: string[] | null = null): TriggerEvent {
  return { event: "push", refType: "tag", refName, changedFiles };
}

function pr(action: string, baseBranch = "main", changedFiles: string[] | null = null): TriggerEvent {
  return { event: "pull_request", action, baseBranch, changedFiles };
}

function matches(on: string | null, event: TriggerEvent): boolean {
  const [pipeline] = withOn(on).pipelines;
  if (pipeline === undefined) throw new Error("no pipeline");
  return pipelineMatches(pipeline, event);
}

describe("push to branches and tags", () => {
  it.each<[string | null, TriggerEvent, boolean]>([
    // no `on:` → every branch, no tags, default pull requests
    [null, branchPush("main"), true],
    [null, branchPush("feature/deep/x"), true],
    [null, tagPush("v1.0.0"), false],
    [null, pr("opened", "anything"), true],
    ["push", branchPush("dev"), true],
    ["push", tagPush("v1"), false],
    ["push", pr("opened"), false],
    // branch filters
    ["{ push: { branches: [main, 'release/**'] } }", branchPush("main"), true],
    ["{ push: { branches: [main, 'release/**'] } }", branchPush("release/1.2/fix"), true],
    ["{ push: { branches: [main, 'release/**'] } }", branchPush("dev"), false],
    ["{ push: { branches: [main] } }", tagPush("main"), false], // only branches → not for tags
    ["{ push: { branches: ['*'] } }", branchPush("feature/x"), false], // `*` stops at `/`
    ["{ push: { branches: ['**'] } }", branchPush("feature/x"), true],
    ["{ push: { branches: ['releases/**', '!releases/**-alpha'] } }", branchPush("releases/2.0"), true],
    ["{ push: { branches: ['releases/**', '!releases/**-alpha'] } }", branchPush("releases/2.0-alpha"), false],
    ["{ push: { branches-ignore: ['wip/**'] } }", branchPush("wip/x"), false],
    ["{ push: { branches-ignore: ['wip/**'] } }", branchPush("main"), true],
    ["{ push: { branches-ignore: ['wip/**'] } }", tagPush("v1"), false],
    ["{ push: { branches: [] } }", branchPush("main"), false],
    // tag filters
    ["{ push: { tags: ['v*'] } }", tagPush("v1.2.3"), true],
    ["{ push: { tags: ['v*'] } }", tagPush("release-1"), false],
    ["{ push: { tags: ['v*'] } }", branchPush("main"), false], // only tags → not for branches
    ["{ push: { tags-ignore: ['v0.*'] } }", tagPush("v1.0"), true],
    ["{ push: { tags-ignore: ['v0.*'] } }", tagPush("v0.9"), false],
    ["{ push: { tags-ignore: ['v0.*'] } }", branchPush("main"), false],
    ["{ push: { branches: [main], tags: ['v*'] } }", branchPush("main"), true],
    ["{ push: { branches: [main], tags: ['v*'] } }", tagPush("v2"), true],
    ["{ push: { branches: [main], tags: ['v*'] } }", branchPush("dev"), false],
    ["{ push: { tags: ['v[0-9]+.[0-9]+'] } }", tagPush("v10.2"), true],
    ["{ push: { tags: ['v[0-9]+.[0-9]+'] } }", tagPush("v10.2-rc"), false],
  ])("on: %s, %j → %s", (on, event, expected) => {
    expect(matches(on, event)).toBe(expected);
  });
});

describe("paths and paths-ignore", () => {
  const paths = "{ push: { paths: ['src/**', package.json] } }";
  const ignore = "{ push: { paths-ignore: ['docs/**', '**.md'] } }";
  const both = "{ push: { paths: ['src/**'], paths-ignore: ['src/**/*.md'] } }";
  const negated = "{ push: { paths: ['src/**', '!src/generated/**'] } }";

  it.each<[string, string[] | null, boolean]>([
    [paths, ["src/a.ts"], true],
    [paths, ["README.md", "package.json"], true],
    [paths, ["README.md"], false],
    [paths, [], false], // an empty commit touches no listed path
    [paths, null, true], // unknown file list: path filters pass
    [ignore, ["docs/a.md"], false],
    [ignore, ["docs/a.md", "README.md"], false],
    [ignore, ["docs/a.md", "src/a.ts"], true],
    [ignore, [], true], // nothing was ignored
    [ignore, null, true],
    [both, ["src/a.ts"], true],
    [both, ["src/notes/a.md"], false],
    [both, ["src/notes/a.md", "src/b.ts"], true],
    [both, ["docs/x.ts"], false],
    [negated, ["src/generated/api.ts"], false],
    [negated, ["src/generated/api.ts", "src/index.ts"], true],
  ])("on: %s with changes %j → %s", (on, changedFiles, expected) => {
    expect(matches(on, branchPush("main", changedFiles))).toBe(expected);
  });

  it("does not evaluate path filters for tags", () => {
    const on = "{ push: { tags: ['v*'], paths: ['src/**'] } }";
    expect(matches(on, tagPush("v1", ["docs/readme.md"]))).toBe(true);
    expect(matches(on, tagPush("v1", []))).toBe(true);
  });

  it("applies path filters to pull requests", () => {
    const on = "{ pull_request: { paths: ['src/**'] } }";
    expect(matches(on, pr("synchronize", "main", ["src/x.ts"]))).toBe(true);
    expect(matches(on, pr("synchronize", "main", ["docs/x.md"]))).toBe(false);
  });
});

describe("pull requests", () => {
  it.each<[string | null, TriggerEvent, boolean]>([
    ["pull_request", pr("opened"), true],
    ["pull_request", pr("synchronize"), true],
    ["pull_request", pr("reopened"), true],
    ["pull_request", pr("closed"), false],
    ["pull_request", pr("edited"), false],
    ["pull_request", pr("labeled"), false],
    ["pull_request", branchPush("main"), false],
    ["{ pull_request: { types: [closed, labeled] } }", pr("closed"), true],
    ["{ pull_request: { types: [closed, labeled] } }", pr("labeled"), true],
    ["{ pull_request: { types: [closed, labeled] } }", pr("opened"), false],
    ["{ pull_request: { types: ready_for_review } }", pr("ready_for_review"), true],
    ["{ pull_request: { types: [opened] } }", pr("auto_merge_enabled"), false],
    // branches filter the BASE branch
    ["{ pull_request: { branches: [main] } }", pr("opened", "main"), true],
    ["{ pull_request: { branches: [main] } }", pr("opened", "develop"), false],
    ["{ pull_request: { branches: ['release/**'] } }", pr("opened", "release/2.x"), true],
    ["{ pull_request: { branches-ignore: ['experimental/**'] } }", pr("opened", "experimental/a"), false],
    ["{ pull_request: { branches-ignore: ['experimental/**'] } }", pr("opened", "main"), true],
    ["{ pull_request: { branches: [main, '!main'] } }", pr("opened", "main"), false],
  ])("on: %s, %j → %s", (on, event, expected) => {
    expect(matches(on, event)).toBe(expected);
  });
});

describe("deployments", () => {
  const deploy = config(`pipelines:
  test: { run: x }
  production:
    on: { push: { branches: [main] } }
    environment: production
    run: x
  staging:
    on: { deployment: }
    environment: staging
    run: x
`);

  it("starts the pipeline whose environment matches", () => {
    const names = (e: TriggerEvent) => matchPipelines(deploy, e).map((p) => p.name);
    expect(names({ event: "deployment", environment: "production" })).toEqual(["production"]);
    expect(names({ event: "deployment", environment: "staging" })).toEqual(["staging"]);
    expect(names({ event: "deployment", environment: "qa" })).toEqual([]);
  });

  it("does not start a deployment-only pipeline on push or pull request", () => {
    expect(matchPipelines(deploy, branchPush("main")).map((p) => p.name)).toEqual(["test", "production"]);
    expect(matchPipelines(deploy, pr("opened")).map((p) => p.name)).toEqual(["test"]);
  });
});

describe("matchPipelines", () => {
  it("returns matching pipelines in config order", () => {
    const c = config(`pipelines:
  zz: { run: x }
  docs: { on: { push: { paths: ['docs/**'] } }, run: x }
  aa: { on: push, run: x }
  tags: { on: { push: { tags: ['v*'] } }, run: x }
`);
    expect(matchPipelines(c, branchPush("main", ["src/a.ts"])).map((p) => p.name)).toEqual(["zz", "aa"]);
    expect(matchPipelines(c, branchPush("main", ["docs/a.md"])).map((p) => p.name)).toEqual(["zz", "docs", "aa"]);
    expect(matchPipelines(c, tagPush("v1")).map((p) => p.name)).toEqual(["tags"]);
  });
});

describe("needsChangedFiles", () => {
  const c = config(`pipelines:
  all: { run: x }
  src:
    on: { push: { branches: [main], paths: ['src/**'] } }
    run: x
  pr-docs:
    on: { pull_request: { branches: [main], paths-ignore: ['docs/**'] } }
    run: x
  tagged:
    on: { push: { tags: ['v*'], paths: ['src/**'] } }
    run: x
`);

  it.each<[TriggerEvent, boolean]>([
    [branchPush("main"), true],
    [branchPush("dev"), false], // the only path-filtered push pipeline does not match dev
    [pr("opened", "main"), true],
    [pr("opened", "dev"), false],
    [pr("closed", "main"), false], // wrong action: no pipeline would start anyway
    [tagPush("v1"), false], // paths are not evaluated for tags
    [{ event: "deployment", environment: "x" }, false],
  ])("%j → %s", (event, expected) => {
    expect(needsChangedFiles(c, event)).toBe(expected);
  });

  it("is false for a config without path filters", () => {
    expect(needsChangedFiles(withOn(null), branchPush("main"))).toBe(false);
  });
});
