import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import type { StandInRepo } from "../support/github-stand-in.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";
import { completedRun, processed, ZERO } from "../support/e2e.js";
import { pushPayload } from "../support/webhooks.js";

const CONFIG = `pipelines:
  everywhere:
    run: "true"
  main-only:
    on:
      push:
        branches: [main, "release/**"]
    run: "true"
  tags-only:
    on:
      push:
        tags: ["v*"]
    run: "true"
  src-changes:
    on:
      push:
        paths: ["src/**"]
    run: "true"
  not-docs:
    on:
      push:
        paths-ignore: ["docs/**"]
    run: "true"
`;

describe("trigger rules, end to end", () => {
  let h: Harness;
  let repo: StandInRepo;

  beforeAll(async () => {
    h = await startHarness();
    repo = await h.gh.createRepo("acme/filters");
    await repo.commit({ branch: "main", files: { [CONFIG_PATH]: CONFIG, "README.md": "hi" }, message: "init" });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function push(branch: string, files: Record<string, string>, message: string, id: string) {
    const before = await repo.head(branch).catch(() => ZERO);
    const parent = before === ZERO ? await repo.head("main") : undefined;
    const sha = await repo.commit({ branch, files, message, ...(parent ? { parent } : {}) });
    const payload = pushPayload(repo, { ref: `refs/heads/${branch}`, before, after: sha, message, commits: [{ id: sha, message, modified: Object.keys(files) }] });
    const res = await h.send("push", payload, { id });
    expect(res.status).toBe(202);
    return { sha, outcome: await processed(h, id) };
  }

  function names(sha: string): string[] {
    return h.gh
      .checkRuns(repo.fullName, sha)
      .map((r) => r.name)
      .sort();
  }

  it("matches branch filters, path filters and paths-ignore on a push to main", async () => {
    const { sha } = await push("main", { "src/app.ts": "x" }, "change src", "delivery-main-src");
    await completedRun(h.gh, repo, "everywhere", sha);
    expect(names(sha)).toEqual(["everywhere", "main-only", "not-docs", "src-changes"]);
  });

  it("leaves out path-filtered pipelines when only docs changed", async () => {
    const { sha } = await push("main", { "docs/guide.md": "x" }, "docs", "delivery-docs");
    await completedRun(h.gh, repo, "everywhere", sha);
    expect(names(sha)).toEqual(["everywhere", "main-only"]);
  });

  it("matches release/** globs and excludes other branches", async () => {
    const { sha } = await push("release/1.2", { "x.txt": "x" }, "rel", "delivery-release");
    await completedRun(h.gh, repo, "main-only", sha);
    const { sha: featureSha } = await push("feature/x", { "y.txt": "y" }, "feat", "delivery-feature");
    await completedRun(h.gh, repo, "everywhere", featureSha);
    expect(names(featureSha)).toEqual(["everywhere", "not-docs"]);
  });

  it("runs tag pipelines for tags only", async () => {
    const sha = await repo.head("main");
    await repo.tag("v1.0.0", sha);
    const res = await h.send("push", pushPayload(repo, { ref: "refs/tags/v1.0.0", before: ZERO, after: sha, message: "tag" }), { id: "delivery-tag" });
    expect(res.status).toBe(202);
    await completedRun(h.gh, repo, "tags-only", sha);
    // The commit already had its other pipelines from the push to main: one run per commit.
    expect(names(sha).filter((n) => n === "tags-only")).toHaveLength(1);
    expect(await processed(h, "delivery-tag")).toMatch(/builds: #\d+ tags-only/);
  });

  it("starts nothing for [skip ci] and [ci skip] head commits", async () => {
    const { sha, outcome } = await push("main", { "src/a.ts": "1" }, "wip [skip ci]", "delivery-skip");
    expect(outcome).toMatch(/skip ci/);
    const { sha: sha2, outcome: outcome2 } = await push("main", { "src/b.ts": "1" }, "wip [ci skip]", "delivery-skip-2");
    expect(outcome2).toMatch(/skip ci/);
    expect(names(sha)).toEqual([]);
    expect(names(sha2)).toEqual([]);
  });

  it("starts nothing for a deleted branch", async () => {
    const before = await repo.head("feature/x");
    await repo.deleteBranch("feature/x");
    const res = await h.send("push", pushPayload(repo, { ref: "refs/heads/feature/x", before, after: ZERO, deleted: true }), { id: "delivery-delete" });
    expect(res.status).toBe(202);
    expect(await processed(h, "delivery-delete")).toMatch(/deleted/);
  });

  it("gives a repository without .github/kickoff.yml no check runs", async () => {
    const bare = await h.gh.createRepo("acme/no-config");
    const sha = await bare.commit({ branch: "main", files: { "README.md": "nothing here" } });
    const res = await h.send("push", pushPayload(bare, { ref: "refs/heads/main", before: ZERO, after: sha }), { id: "delivery-no-config" });
    expect(res.status).toBe(202);
    expect(await processed(h, "delivery-no-config")).toMatch(/^no config/);
    expect(h.gh.checkRuns(bare.fullName)).toEqual([]);
  });

  it("reports an invalid config as one failed `kickoff` check run annotated at the offending line", async () => {
    const broken = await h.gh.createRepo("acme/broken");
    const yml = `pipelines:\n  test:\n    run: npm test\n    timeout: soon\n  lint:\n    runs: npm run lint\n`;
    const sha = await broken.commit({ branch: "main", files: { [CONFIG_PATH]: yml } });
    const res = await h.send("push", pushPayload(broken, { ref: "refs/heads/main", before: ZERO, after: sha }), { id: "delivery-broken" });
    expect(res.status).toBe(202);
    const run = await completedRun(h.gh, broken, "kickoff", sha);
    expect(run.conclusion).toBe("failure");
    expect(run.output.title).toMatch(/^Invalid \.github\/kickoff\.yml: .*timeout.*\(line 4\)/);
    const lines = run.output.annotations.map((a) => [a.path, a.start_line, a.annotation_level]);
    expect(lines).toContainEqual([CONFIG_PATH, 4, "failure"]);
    expect(lines).toContainEqual([CONFIG_PATH, 6, "failure"]);
    expect(h.gh.checkRuns(broken.fullName, sha).map((r) => r.name)).toEqual(["kickoff"]);
    expect(h.gh.checkRunHistory(run.id).map((r) => r.status)).toEqual(["completed"]);
  });
});
