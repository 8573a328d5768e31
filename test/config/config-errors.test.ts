import { describe, expect, it } from "vitest";
import type { ConfigProblem } from "../../src/config/kickoff-config.js";
import { parseKickoffConfig } from "../../src/config/parse-kickoff-config.js";

function errorsOf(text: string): ConfigProblem[] {
  const result = parseKickoffConfig(text);
  if (result.ok) throw new Error("expected errors, the config was valid");
  return result.errors;
}

/** The single error of a file, as [message, line, column]. */
function theError(text: string): [string, number, number] {
  const errors = errorsOf(text);
  expect(errors, JSON.stringify(errors)).toHaveLength(1);
  const [error] = errors;
  if (error === undefined) throw new Error("unreachable");
  expect(error.severity).toBe("error");
  return [error.message, error.line, error.column];
}

interface Case {
  name: string;
  yaml: string;
  message: string | RegExp;
  line: number;
  column: number;
}

const cases: Case[] = [
  // the file itself
  { name: "empty file", yaml: ``, message: "the file is empty: it needs a `pipelines:` mapping", line: 1, column: 1 },
  { name: "only comments", yaml: `# nothing yet\n`, message: /file is empty/, line: 1, column: 1 },
  { name: "a scalar", yaml: `hello`, message: "the file must be a mapping with a `pipelines:` key", line: 1, column: 1 },
  { name: "a list", yaml: `- test`, message: /must be a mapping/, line: 1, column: 1 },
  {
    name: "pipelines not a mapping",
    yaml: `pipelines: [a, b]\n`,
    message: "`pipelines` must be a mapping of pipeline names to pipelines",
    line: 1,
    column: 12,
  },
  { name: "no pipelines", yaml: `pipelines: {}\n`, message: "`pipelines` must define at least one pipeline", line: 1, column: 1 },
  { name: "null pipelines", yaml: `pipelines:\n`, message: /`pipelines` must be a mapping/, line: 1, column: 1 },

  // YAML itself
  { name: "unclosed quote", yaml: `pipelines:\n  a:\n    run: "make\n`, message: /^YAML syntax error: /, line: 3, column: 15 },
  { name: "tab indentation", yaml: `pipelines:\n\ta:\n`, message: /^YAML syntax error: .*[Tt]ab/, line: 2, column: 1 },
  {
    name: "duplicate pipeline",
    yaml: `pipelines:\n  a:\n    run: x\n  a:\n    run: y\n`,
    message: "duplicate key `a`",
    line: 4,
    column: 3,
  },
  {
    name: "duplicate quoted key",
    yaml: `pipelines:\n  "a b": { run: x }\n  "a b": { run: y }\n`,
    message: 'duplicate key `"a b"`',
    line: 3,
    column: 3,
  },
  {
    name: "duplicate setting",
    yaml: `pipelines:\n  a:\n    run: x\n    run: y\n`,
    message: "duplicate key `run`",
    line: 4,
    column: 5,
  },
  {
    name: "alias without anchor",
    yaml: `pipelines:\n  a: *defaults\n`,
    message: "alias `*defaults` refers to no anchor `&defaults` defined before it",
    line: 2,
    column: 6,
  },
  {
    name: "a list as a key",
    yaml: `pipelines:\n  ? [a, b]\n  : { run: x }\n`,
    message: "keys must be plain names, not lists or mappings",
    line: 2,
    column: 5,
  },
  {
    name: "two documents",
    yaml: `pipelines:\n  a: { run: x }\n---\npipelines:\n  b: { run: y }\n`,
    message: /more than one YAML document/,
    line: 3,
    column: 1,
  },

  // pipeline names
  {
    name: "reserved name",
    yaml: `pipelines:\n  kickoff:\n    run: x\n`,
    message: "pipeline name `kickoff` is reserved for Kickoff's own configuration check",
    line: 2,
    column: 3,
  },
  {
    name: "bad characters in name",
    yaml: `pipelines:\n  "unit tests":\n    run: x\n`,
    message: "pipeline name `unit tests` may only contain letters, digits, `_`, `.` and `-`",
    line: 2,
    column: 3,
  },
  {
    name: "name too long",
    yaml: `pipelines:\n  ${"x".repeat(101)}:\n    run: x\n`,
    message: /is longer than 100 characters/,
    line: 2,
    column: 3,
  },

  // unknown keys, each at the key
  {
    name: "unknown top-level key",
    yaml: `pipelines:\n  a: { run: x }\nversion: 2\n`,
    message: "unknown key `version` at the top level (expected `pipelines`)",
    line: 3,
    column: 1,
  },
  {
    name: "unknown pipeline key",
    yaml: `pipelines:\n  test:\n    run: x\n    foo: 1\n`,
    message: "unknown key `foo` in pipeline `test`",
    line: 4,
    column: 5,
  },
  {
    name: "unknown pipeline key with a hint",
    yaml: `pipelines:\n  test:\n    run: x\n    timout: 5m\n`,
    message: "unknown key `timout` in pipeline `test` (did you mean `timeout`?)",
    line: 4,
    column: 5,
  },
  {
    name: "unknown push key",
    yaml: `pipelines:\n  test:\n    on:\n      push:\n        branch: main\n    run: x\n`,
    message: "unknown key `branch` in `on.push` of pipeline `test` (did you mean `branches`?)",
    line: 5,
    column: 9,
  },
  {
    name: "unknown pull_request key",
    yaml: `pipelines:\n  test:\n    on: { pull_request: { type: [opened] } }\n    run: x\n`,
    message: "unknown key `type` in `on.pull_request` of pipeline `test` (did you mean `types`?)",
    line: 3,
    column: 27,
  },
  {
    name: "tags under pull_request",
    yaml: `pipelines:\n  test:\n    on:\n      pull_request:\n        tags: [v1]\n    run: x\n`,
    message: /^unknown key `tags` in `on.pull_request` of pipeline `test`/,
    line: 5,
    column: 9,
  },
  {
    name: "unknown event in mapping",
    yaml: `pipelines:\n  test:\n    on:\n      pull-request:\n    run: x\n`,
    message: "unknown event `pull-request` in `on` of pipeline `test` (expected one of: push, pull_request, deployment) (did you mean `pull_request`?)",
    line: 4,
    column: 7,
  },
  {
    name: "unknown event in list",
    yaml: `pipelines:\n  test:\n    on: [push, release]\n    run: x\n`,
    message: /^unknown event `release` in `on` of pipeline `test`/,
    line: 3,
    column: 16,
  },
  {
    name: "unknown event as a string",
    yaml: `pipelines:\n  test:\n    on: workflow_dispatch\n    run: x\n`,
    message: /^unknown event `workflow_dispatch`/,
    line: 3,
    column: 9,
  },
  {
    name: "settings under deployment",
    yaml: `pipelines:\n  d:\n    on:\n      deployment:\n        branches: [main]\n    environment: prod\n    run: x\n`,
    message: "pipeline `d`: `on.deployment` takes no settings, found `branches`",
    line: 5,
    column: 9,
  },

  // shapes
  { name: "missing run", yaml: `pipelines:\n  test:\n    timeout: 5m\n`, message: "pipeline `test`: missing required key `run`", line: 2, column: 3 },
  { name: "pipeline is null", yaml: `pipelines:\n  test:\n`, message: "pipeline `test` must be a mapping with at least `run`", line: 2, column: 3 },
  { name: "pipeline is a string", yaml: `pipelines:\n  test: make\n`, message: /^pipeline `test` must be a mapping/, line: 2, column: 9 },
  { name: "run is a number", yaml: `pipelines:\n  t:\n    run: 3\n`, message: "pipeline `t`: `run` must be a string (the script to run)", line: 3, column: 10 },
  { name: "run is empty", yaml: `pipelines:\n  t:\n    run: "  "\n`, message: "pipeline `t`: `run` must not be empty", line: 3, column: 10 },
  {
    name: "on is a number",
    yaml: `pipelines:\n  t:\n    on: 5\n    run: x\n`,
    message: "pipeline `t`: `on` must be an event name, a list of event names, or a mapping of events",
    line: 3,
    column: 9,
  },
  {
    name: "push is a list",
    yaml: `pipelines:\n  t:\n    on:\n      push: [main]\n    run: x\n`,
    message: "pipeline `t`: `on.push` must be a mapping of filters, or empty",
    line: 4,
    column: 13,
  },
  {
    name: "branches is a mapping",
    yaml: `pipelines:\n  t:\n    on:\n      push:\n        branches: { main: 1 }\n    run: x\n`,
    message: "pipeline `t`: `on.push.branches` must be a pattern or a list of patterns",
    line: 5,
    column: 19,
  },
  {
    name: "a number among patterns",
    yaml: `pipelines:\n  t:\n    on:\n      push:\n        tags: [v1, 2.0]\n    run: x\n`,
    message: "pipeline `t`: `on.push.tags[1]` must be a string (quote patterns that YAML reads as numbers)",
    line: 5,
    column: 20,
  },
  {
    name: "unknown pull request type",
    yaml: `pipelines:\n  t:\n    on:\n      pull_request:\n        types: [opened, merged]\n    run: x\n`,
    message: /^pipeline `t`: `on.pull_request.types\[1\]` must be one of: opened, synchronize, reopened, edited, closed/,
    line: 5,
    column: 25,
  },
  {
    name: "timeout is a list",
    yaml: `pipelines:\n  t:\n    run: x\n    timeout: [5m]\n`,
    message: "pipeline `t`: `timeout` must be a duration like `15m`, or a number of seconds",
    line: 4,
    column: 14,
  },
  {
    name: "env is a list",
    yaml: `pipelines:\n  t:\n    run: x\n    env: [A=1]\n`,
    message: "pipeline `t`: `env` must be a mapping of variable names to values",
    line: 4,
    column: 10,
  },
  {
    name: "env value is a mapping",
    yaml: `pipelines:\n  t:\n    run: x\n    env:\n      A: { b: 1 }\n`,
    message: "pipeline `t`: `env.A` must be a string, number or boolean",
    line: 5,
    column: 10,
  },
  {
    name: "needs is a number",
    yaml: `pipelines:\n  t:\n    run: x\n    needs: 5\n`,
    message: "pipeline `t`: `needs` must be a pipeline name or a list of them",
    line: 4,
    column: 12,
  },
  {
    name: "cancel-superseded is a string",
    yaml: `pipelines:\n  t:\n    run: x\n    cancel-superseded: "no"\n`,
    message: "pipeline `t`: `cancel-superseded` must be true or false",
    line: 4,
    column: 24,
  },
  {
    name: "unknown trust",
    yaml: `pipelines:\n  t:\n    run: x\n    trust: everyone\n`,
    message: "pipeline `t`: `trust` must be `collaborators` or `approve`",
    line: 4,
    column: 12,
  },
  {
    name: "environment is a mapping",
    yaml: `pipelines:\n  t:\n    run: x\n    environment: { name: prod }\n`,
    message: "pipeline `t`: `environment` must be an environment name",
    line: 4,
    column: 18,
  },
  {
    name: "url is a number",
    yaml: `pipelines:\n  t:\n    run: x\n    environment: prod\n    url: 5\n`,
    message: "pipeline `t`: `url` must be a string",
    line: 5,
    column: 10,
  },

  // values
  {
    name: "timeout without unit",
    yaml: `pipelines:\n  t:\n    run: x\n    timeout: 15 minutes\n`,
    message: "pipeline `t`: `timeout` `15 minutes` is not a duration (use e.g. `90s`, `15m`, `1h30m`)",
    line: 4,
    column: 14,
  },
  { name: "zero timeout", yaml: `pipelines:\n  t:\n    run: x\n    timeout: 0s\n`, message: "pipeline `t`: `timeout` must be more than 0", line: 4, column: 14 },
  { name: "negative timeout", yaml: `pipelines:\n  t:\n    run: x\n    timeout: -5\n`, message: "pipeline `t`: `timeout` must be more than 0", line: 4, column: 14 },
  { name: "timeout over a day", yaml: `pipelines:\n  t:\n    run: x\n    timeout: 25h\n`, message: "pipeline `t`: `timeout` must be at most 24h", line: 4, column: 14 },
  {
    name: "bad env name",
    yaml: `pipelines:\n  t:\n    run: x\n    env:\n      OK: 1\n      1BAD: 2\n`,
    message: /^pipeline `t`: `env`: `1BAD` is not a valid variable name/,
    line: 6,
    column: 7,
  },
  {
    name: "env name with a dash",
    yaml: `pipelines:\n  t:\n    run: x\n    env: { MY-VAR: 1 }\n`,
    message: /`MY-VAR` is not a valid variable name/,
    line: 4,
    column: 12,
  },
  {
    name: "KICKOFF_ env name",
    yaml: `pipelines:\n  t:\n    run: x\n    env:\n      KICKOFF_SHA: abc\n`,
    message: "pipeline `t`: `env`: `KICKOFF_SHA` is set by Kickoff and cannot be overridden",
    line: 5,
    column: 7,
  },
  ...["CI", "PATH", "HOME", "KICKOFF"].map(
    (name): Case => ({
      name: `reserved env ${name}`,
      yaml: `pipelines:\n  t:\n    run: x\n    env: { ${name}: "1" }\n`,
      message: `pipeline \`t\`: \`env\`: \`${name}\` is set by Kickoff and cannot be overridden`,
      line: 4,
      column: 12,
    }),
  ),
  {
    name: "bad environment name",
    yaml: `pipelines:\n  t:\n    run: x\n    environment: "prod env"\n`,
    message: "pipeline `t`: `environment` may only contain letters, digits, `_`, `.` and `-`",
    line: 4,
    column: 18,
  },
  {
    name: "deployment trigger without environment",
    yaml: `pipelines:\n  t:\n    on: { push: , deployment: }\n    run: x\n`,
    message: "pipeline `t`: `on.deployment` needs `environment`: deployments start only deploy pipelines",
    line: 3,
    column: 19,
  },

  // filters
  {
    name: "branches with branches-ignore",
    yaml: `pipelines:\n  t:\n    on:\n      push:\n        branches: [main]\n        branches-ignore: [wip]\n    run: x\n`,
    message: "pipeline `t`: `on.push` cannot have both `branches` and `branches-ignore` (use `!` patterns in `branches` to exclude)",
    line: 6,
    column: 9,
  },
  {
    name: "tags with tags-ignore",
    yaml: `pipelines:\n  t:\n    on:\n      push:\n        tags-ignore: [v0*]\n        tags: [v*]\n    run: x\n`,
    message: /^pipeline `t`: `on.push` cannot have both `tags` and `tags-ignore`/,
    line: 5,
    column: 9,
  },
  {
    name: "pull_request branches with branches-ignore",
    yaml: `pipelines:\n  t:\n    on:\n      pull_request:\n        branches: main\n        branches-ignore: dev\n    run: x\n`,
    message: /^pipeline `t`: `on.pull_request` cannot have both `branches` and `branches-ignore`/,
    line: 6,
    column: 9,
  },
  {
    name: "pattern that does not compile",
    yaml: `pipelines:\n  t:\n    on:\n      push:\n        branches: [main, "release/[0-9"]\n    run: x\n`,
    message: "pipeline `t`: `on.push.branches[1]`: pattern `release/[0-9` has an unclosed `[`",
    line: 5,
    column: 26,
  },
  {
    name: "single-string pattern that does not compile",
    yaml: `pipelines:\n  t:\n    on:\n      pull_request:\n        paths: "!"\n    run: x\n`,
    message: "pipeline `t`: `on.pull_request.paths[0]`: pattern `!` negates nothing",
    line: 5,
    column: 16,
  },
  {
    name: "empty pattern",
    yaml: `pipelines:\n  t:\n    on:\n      push:\n        paths-ignore:\n          - docs/**\n          - ""\n    run: x\n`,
    message: "pipeline `t`: `on.push.paths-ignore[1]`: empty pattern",
    line: 7,
    column: 13,
  },

  // needs
  {
    name: "unknown needs",
    yaml: `pipelines:\n  test: { run: x }\n  deploy:\n    needs: [tset]\n    run: x\n`,
    message: "pipeline `deploy`: `needs` names unknown pipeline `tset` (did you mean `test`?)",
    line: 4,
    column: 13,
  },
  {
    name: "unknown needs as a string",
    yaml: `pipelines:\n  deploy:\n    needs: build\n    run: x\n`,
    message: "pipeline `deploy`: `needs` names unknown pipeline `build`",
    line: 3,
    column: 12,
  },
  {
    name: "pipeline needing itself",
    yaml: `pipelines:\n  a:\n    run: x\n    needs:\n      - a\n`,
    message: "pipeline `a`: `needs` names the pipeline itself, a cycle: a → a",
    line: 5,
    column: 9,
  },
  {
    name: "two-pipeline cycle",
    yaml: `pipelines:\n  a:\n    run: x\n    needs: [b]\n  b:\n    run: x\n    needs: [a]\n`,
    message: "pipeline `b`: `needs` makes a cycle: a → b → a",
    line: 7,
    column: 13,
  },
  {
    name: "three-pipeline cycle",
    yaml: `pipelines:\n  a: { run: x, needs: c }\n  b: { run: x, needs: [a] }\n  c: { run: x, needs: [lint, b] }\n  lint: { run: x }\n`,
    message: "pipeline `b`: `needs` makes a cycle: a → c → b → a",
    line: 3,
    column: 24,
  },
];

describe("parseKickoffConfig: each error with its position", () => {
  it.each(cases)("$name", ({ yaml, message, line, column }) => {
    const [actualMessage, actualLine, actualColumn] = theError(yaml);
    if (typeof message === "string") expect(actualMessage).toBe(message);
    else expect(actualMessage).toMatch(message);
    expect({ line: actualLine, column: actualColumn }).toEqual({ line, column });
  });
});

describe("parseKickoffConfig: several errors", () => {
  it("reports a missing `pipelines` and the unknown key beside it", () => {
    expect(errorsOf(`other: 1\n`).map((e) => [e.line, e.column, e.message])).toEqual([
      [1, 1, "missing required key `pipelines`"],
      [1, 1, "unknown key `other` at the top level (expected `pipelines`)"],
    ]);
  });

  it("reports problems from every pipeline at once, sorted by position", () => {
    const errors = errorsOf(`pipelines:
  a:
    run: x
    timeout: 99h
  b:
    bogus: true
  kickoff:
    run: x
    needs: [nope]
`);
    expect(errors.map((e) => [e.line, e.column, e.message])).toEqual([
      [4, 14, "pipeline `a`: `timeout` must be at most 24h"],
      [5, 3, "pipeline `b`: missing required key `run`"],
      [6, 5, "unknown key `bogus` in pipeline `b`"],
      [7, 3, "pipeline name `kickoff` is reserved for Kickoff's own configuration check"],
      [9, 13, "pipeline `kickoff`: `needs` names unknown pipeline `nope`"],
    ]);
  });

  it("does not call a pipeline unknown just because it has errors of its own", () => {
    const errors = errorsOf(`pipelines:\n  build:\n    run: 5\n  deploy:\n    needs: build\n    run: x\n`);
    expect(errors.map((e) => e.message)).toEqual(["pipeline `build`: `run` must be a string (the script to run)"]);
  });

  it("reports each cycle once", () => {
    const errors = errorsOf(`pipelines:\n  a: { run: x, needs: [b] }\n  b: { run: x, needs: [a] }\n  c: { run: x, needs: [a] }\n`);
    expect(errors.map((e) => e.message)).toEqual(["pipeline `b`: `needs` makes a cycle: a → b → a"]);
  });

  it("gives every problem a line and column of at least 1", () => {
    const inputs = [
      "",
      "   ",
      "\n\n\n",
      "pipelines:",
      "pipelines: 3",
      "[",
      "{",
      "pipelines:\n  a:\n    run: [",
      'pipelines:\n  a: {run: "x',
      "pipelines:\n  ? [a, b]\n  : { run: x }\n",
      'pipelines:\n  a:\n    run: x\n    on: { push: { branches: [""] } }\n',
    ];
    for (const input of inputs) {
      const result = parseKickoffConfig(input);
      const problems = result.ok ? result.warnings : [...result.errors, ...result.warnings];
      for (const problem of problems) {
        expect(problem.line, input).toBeGreaterThanOrEqual(1);
        expect(problem.column, input).toBeGreaterThanOrEqual(1);
      }
      expect(result.ok, input).toBe(false);
    }
  });

  it("stops alias bombs instead of expanding them", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
      "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]",
      "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]",
      "pipelines:",
      "  t: { run: x, needs: *g }",
    ].join("\n");
    const started = Date.now();
    const errors = errorsOf(bomb);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 1, column: 1 });
    expect(errors[0]?.message).toMatch(/^the file could not be read: .*alias/i);
  });
});
