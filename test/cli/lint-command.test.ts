import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseKickoffConfig } from "../../src/config/parse-kickoff-config.js";
import { unmatchedPathWarnings } from "../../src/config/unmatched-path-warnings.js";
import { kickoffCli } from "../support/kickoff-cli.js";
import { TestRepo } from "../runner/support/git-repo.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kickoff-lint-cmd-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const WARNED = `pipelines:
  docs:
    on:
      push:
        paths: ["docs/**", "src/**/*.ts"]
        paths-ignore: ["!src/old/**"]
    run: mkdocs build
  never:
    on:
      push: { branches: [] }
    run: echo never
  build:
    on:
      pull_request:
        paths: ["src/**"]
    run: npm run build
`;

describe("kickoff lint", () => {
  let repo: TestRepo;
  beforeAll(() => {
    repo = TestRepo.create(path.join(tmp, "repo"));
    repo.commit({ "src/app.ts": "export {};\n", "README.md": "# hi\n", ".github/kickoff.yml": WARNED });
  });

  it("prints every error as file:line:col and exits 1", async () => {
    const file = path.join(tmp, "broken.yml");
    writeFileSync(file, "pipelines:\n  test:\n    run: npm test\n    timeout: soon\n  deploy:\n    needs: [tset]\n    run: ./deploy.sh\n");
    const result = await kickoffCli(["lint", file], { cwd: tmp });
    expect(result.code).toBe(1);
    expect(result.stdout.trim().split("\n")).toEqual([
      `${file}:4:14: error: pipeline \`test\`: \`timeout\` \`soon\` is not a duration (use e.g. \`90s\`, \`15m\`, \`1h30m\`)`,
      `${file}:6:13: error: pipeline \`deploy\`: \`needs\` names unknown pipeline \`tset\` (did you mean \`test\`?)`,
    ]);
  });

  it("warns about pipelines nothing starts and path patterns that match no file of the repository, exit 0", async () => {
    // Run from elsewhere: the patterns are checked against the repository the file is in.
    const result = await kickoffCli(["lint", path.join(repo.dir, ".github/kickoff.yml")], { cwd: tmp });
    expect(result.code, result.stderr).toBe(0);
    const file = path.join(repo.dir, ".github/kickoff.yml");
    expect(result.stdout.trim().split("\n")).toEqual([
      `${file}:5:17: warning: pipeline \`docs\`: \`on.push.paths[0]\`: \`docs/**\` matches no file in this repository`,
      `${file}:6:24: warning: pipeline \`docs\`: \`on.push.paths-ignore[0]\`: \`!src/old/**\` matches no file in this repository`,
      `${file}:8:3: warning: pipeline \`never\`: no push, pull request or deployment can start it (only \`/kickoff run never\` can)`,
      `${file}: 3 pipeline(s) OK (3 warnings)`,
    ]);
  });

  it("lints ./.github/kickoff.yml by default and reads a missing file as one line", async () => {
    const ok = await kickoffCli(["lint"], { cwd: repo.dir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(".github/kickoff.yml: 3 pipeline(s) OK");

    mkdirSync(path.join(tmp, "empty"), { recursive: true });
    const missing = await kickoffCli(["lint"], { cwd: path.join(tmp, "empty") });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(".github/kickoff.yml: cannot read: ENOENT\n");
  });
});

describe("unmatchedPathWarnings", () => {
  it("uses the trigger rules' glob semantics (** crosses directories, **/ may match none)", () => {
    const text = `pipelines:
  a:
    on:
      push: { paths: ["**/README.md", "src/*.ts", "src/*/deep.ts", "lib/**"] }
      pull_request: { paths-ignore: ["*.md"] }
    run: x
`;
    const parsed = parseKickoffConfig(text);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const warnings = unmatchedPathWarnings(parsed.config, text, ["README.md", "src/app.ts", "src/x/y/deep.ts"]);
    expect(warnings.map((w) => `${w.line}:${w.column} ${w.message}`)).toEqual([
      "4:51 pipeline `a`: `on.push.paths[2]`: `src/*/deep.ts` matches no file in this repository",
      "4:68 pipeline `a`: `on.push.paths[3]`: `lib/**` matches no file in this repository",
    ]);
  });
});
