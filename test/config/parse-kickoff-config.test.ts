import { describe, expect, it } from "vitest";
import type { KickoffConfig, Pipeline } from "../../src/config/kickoff-config.js";
import { CONFIG_PATH, parseKickoffConfig } from "../../src/config/parse-kickoff-config.js";

function parseOk(text: string): { config: KickoffConfig; warnings: unknown[] } {
  const result = parseKickoffConfig(text);
  if (!result.ok) throw new Error(`expected a valid config, got ${JSON.stringify(result.errors)}`);
  return result;
}

function only(text: string): Pipeline {
  const pipeline = parseOk(text).config.pipelines[0];
  if (pipeline === undefined) throw new Error("no pipeline");
  return pipeline;
}

const DESIGN_EXAMPLE = `pipelines:
  test:                          # pipeline name = check run name
    on:
      push:
        branches: [main, "release/**"]   # glob; default: every branch
        tags: ["v*"]                     # default: no tags
        paths: ["src/**", "package.json"]  # run only if a changed file matches
        paths-ignore: ["docs/**"]
      pull_request:
        branches: [main]                 # base branch filter
        types: [opened, synchronize, reopened]   # the default
    run: npm ci && npm test      # bash -eo pipefail, in a checkout of the commit
    timeout: 15m                 # default 30m; s/m/h units
    env: { NODE_ENV: test }
  deploy:
    on:
      push: { branches: [main] }
    needs: [test]                # starts only after these succeeded for the same commit
    environment: production      # makes it a deploy pipeline (section 5)
    run: ./scripts/deploy.sh
`;

describe("parseKickoffConfig: valid files", () => {
  it("exports the config path", () => {
    expect(CONFIG_PATH).toBe(".github/kickoff.yml");
  });

  it("accepts the example from DESIGN.md section 2", () => {
    const { config, warnings } = parseOk(DESIGN_EXAMPLE);
    expect(warnings).toEqual([]);
    expect(config.pipelines).toEqual<Pipeline[]>([
      {
        name: "test",
        push: {
          branches: ["main", "release/**"],
          branchesIgnore: [],
          tags: ["v*"],
          tagsIgnore: [],
          paths: ["src/**", "package.json"],
          pathsIgnore: ["docs/**"],
        },
        pullRequest: {
          branches: ["main"],
          branchesIgnore: [],
          types: ["opened", "synchronize", "reopened"],
          paths: null,
          pathsIgnore: [],
        },
        deployment: false,
        run: "npm ci && npm test",
        timeoutMs: 15 * 60_000,
        env: { NODE_ENV: "test" },
        needs: [],
        environment: null,
        url: null,
        cancelSuperseded: true,
        trust: "collaborators",
        line: 2,
      },
      {
        name: "deploy",
        push: { branches: ["main"], branchesIgnore: [], tags: [], tagsIgnore: [], paths: null, pathsIgnore: [] },
        pullRequest: null,
        deployment: true,
        run: "./scripts/deploy.sh",
        timeoutMs: null,
        env: {},
        needs: ["test"],
        environment: "production",
        url: null,
        cancelSuperseded: true,
        trust: "collaborators",
        line: 15,
      },
    ]);
  });

  it("without `on:` runs on push to every branch (no tags) and default pull requests", () => {
    const p = only(`pipelines:\n  test:\n    run: make\n`);
    expect(p.push).toEqual({ branches: null, branchesIgnore: [], tags: [], tagsIgnore: [], paths: null, pathsIgnore: [] });
    expect(p.pullRequest).toEqual({
      branches: null,
      branchesIgnore: [],
      types: ["opened", "synchronize", "reopened"],
      paths: null,
      pathsIgnore: [],
    });
    expect(p.deployment).toBe(false);
    expect(p.timeoutMs).toBeNull();
    expect(p.cancelSuperseded).toBe(true);
    expect(p.trust).toBe("collaborators");
  });

  it.each([
    ["on: push", true, false],
    ["on: pull_request", false, true],
    ["on: [push, pull_request]", true, true],
    ["on: [push]", true, false],
    ["on: { push: }", true, false],
    ["on: { push: {} }", true, false],
    ["on:\n      push:\n      pull_request:", true, true],
  ])("`%s` starts on push: %s, pull_request: %s", (on, push, pr) => {
    const p = only(`pipelines:\n  test:\n    ${on}\n    run: make\n`);
    expect(p.push !== null).toBe(push);
    expect(p.pullRequest !== null).toBe(pr);
    if (p.push !== null) expect(p.push.branches).toBeNull();
    if (p.pullRequest !== null) expect(p.pullRequest.types).toEqual(["opened", "synchronize", "reopened"]);
  });

  it("normalises push filters the way Actions reads them", () => {
    const cases: [string, { branches: string[] | null; tags: string[] }][] = [
      ["{}", { branches: null, tags: [] }],
      ["{ branches: main }", { branches: ["main"], tags: [] }],
      ["{ branches-ignore: [wip/**] }", { branches: null, tags: [] }],
      ["{ tags: ['v*'] }", { branches: [], tags: ["v*"] }],
      ["{ tags-ignore: ['v0*'] }", { branches: [], tags: ["**"] }],
      ["{ branches: [main], tags: ['v*'] }", { branches: ["main"], tags: ["v*"] }],
      ["{ paths: ['src/**'] }", { branches: null, tags: [] }],
    ];
    for (const [push, expected] of cases) {
      const p = only(`pipelines:\n  t:\n    on: { push: ${push} }\n    run: x\n`);
      expect({ branches: p.push?.branches, tags: p.push?.tags }, push).toEqual(expected);
    }
  });

  it("reads pull_request types and base-branch filters", () => {
    const p = only(`pipelines:
  t:
    on:
      pull_request:
        branches-ignore: "experimental/**"
        types: [opened, labeled, opened]
        paths-ignore: ["**.md"]
    run: x
`);
    expect(p.pullRequest).toEqual({
      branches: null,
      branchesIgnore: ["experimental/**"],
      types: ["opened", "labeled"],
      paths: null,
      pathsIgnore: ["**.md"],
    });
    expect(only(`pipelines:\n  t:\n    on: { pull_request: { types: closed } }\n    run: x\n`).pullRequest?.types).toEqual(["closed"]);
  });

  it("reads every pipeline setting", () => {
    const p = only(`pipelines:
  release:
    on: { push: { tags: ["v*"] }, deployment: }
    run: |
      ./build.sh
      ./publish.sh
    timeout: 1h30m
    env:
      NAME: shop
      VERSION: 1.10
      COUNT: 3
      DEBUG: false
      EMPTY:
      _UNDERSCORE: "quoted"
    environment: production
    url: https://shop.example.com
    cancel-superseded: false
    trust: approve
`);
    expect(p).toMatchObject({
      name: "release",
      deployment: true,
      run: "./build.sh\n./publish.sh\n",
      timeoutMs: 90 * 60_000,
      env: { NAME: "shop", VERSION: "1.10", COUNT: "3", DEBUG: "false", EMPTY: "", _UNDERSCORE: "quoted" },
      environment: "production",
      url: "https://shop.example.com",
      cancelSuperseded: false,
      trust: "approve",
      line: 2,
    });
    expect(p.pullRequest).toBeNull();
  });

  it.each([
    ["90", 90_000],
    ["1.5", 1_500],
    ["90s", 90_000],
    ["24h", 86_400_000],
    ["1h 30m", 5_400_000],
  ])("reads `timeout: %s`", (timeout, ms) => {
    expect(only(`pipelines:\n  t:\n    run: x\n    timeout: ${timeout}\n`).timeoutMs).toBe(ms);
  });

  it("accepts `needs` as a string or a list, dropping repeats", () => {
    const { config } = parseOk(`pipelines:
  a: { run: x }
  b: { run: x, needs: a }
  c: { run: x, needs: [a, b, a] }
`);
    expect(config.pipelines.map((p) => p.needs)).toEqual([[], ["a"], ["a", "b"]]);
  });

  it("keeps pipelines in file order, even with numeric names", () => {
    const { config } = parseOk(`pipelines:\n  zeta: { run: x }\n  "2": { run: x }\n  alpha: { run: x }\n  1: { run: x }\n`);
    expect(config.pipelines.map((p) => [p.name, p.line])).toEqual([
      ["zeta", 2],
      ["2", 3],
      ["alpha", 4],
      ["1", 5],
    ]);
  });

  it("allows anchors, aliases and merge keys", () => {
    const { config } = parseOk(`pipelines:
  lint: &base
    run: make lint
    timeout: 5m
    env: { LANG_LEVEL: strict }
  test:
    <<: *base
    run: make test
  again: *base
`);
    expect(config.pipelines.map((p) => [p.name, p.run, p.timeoutMs, p.env])).toEqual([
      ["lint", "make lint", 300_000, { LANG_LEVEL: "strict" }],
      ["test", "make test", 300_000, { LANG_LEVEL: "strict" }],
      ["again", "make lint", 300_000, { LANG_LEVEL: "strict" }],
    ]);
  });

  it("does not share arrays between pipelines", () => {
    const { config } = parseOk(`pipelines:\n  a: { run: x }\n  b: { run: x }\n`);
    const [a, b] = config.pipelines;
    expect(a?.push?.branchesIgnore).not.toBe(b?.push?.branchesIgnore);
    expect(a?.pullRequest?.types).not.toBe(b?.pullRequest?.types);
  });

  it("accepts names with letters, digits, `_`, `.` and `-` up to 100 characters", () => {
    const name = `a${"b".repeat(99)}`;
    const { config } = parseOk(`pipelines:\n  Test_1.2-x: { run: x }\n  ${name}: { run: x }\n`);
    expect(config.pipelines.map((p) => p.name)).toEqual(["Test_1.2-x", name]);
  });
});

describe("parseKickoffConfig: warnings", () => {
  it.each([
    ["on: { push: { branches: [] } }"],
    ["on: {}"],
    ["on: []"],
    ["on: { pull_request: { types: [] } }"],
    ["on: { pull_request: { branches: [] }, push: { branches: [], tags: [] } }"],
  ])("warns when no event can start a pipeline: `%s`", (on) => {
    const result = parseKickoffConfig(`pipelines:\n  test:\n    ${on}\n    run: make\n`);
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      {
        message: "pipeline `test`: no push, pull request or deployment can start it (only `/kickoff run test` can)",
        line: 2,
        column: 3,
        severity: "warning",
      },
    ]);
  });

  it.each([["on: { push: { tags: ['v*'] } }"], ["on: { push: { branches: [], tags: ['v*'] } }"], ["on: { deployment: }\n    environment: prod"]])(
    "does not warn for `%s`",
    (on) => {
      const result = parseKickoffConfig(`pipelines:\n  test:\n    ${on}\n    run: make\n`);
      expect(result).toMatchObject({ ok: true, warnings: [] });
    },
  );

  it("warns that `url` does nothing without `environment`", () => {
    const result = parseKickoffConfig(`pipelines:\n  test:\n    run: make\n    url: https://x.example\n`);
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([{ message: "pipeline `test`: `url` has no effect without `environment`", line: 4, column: 5, severity: "warning" }]);
  });
});
