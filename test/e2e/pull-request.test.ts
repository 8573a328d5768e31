import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import type { StandInRepo } from "../support/github-stand-in.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";
import { completedRun, kickoffYml, processed } from "../support/e2e.js";
import { pullRequestPayload } from "../support/webhooks.js";

const CONFIG = kickoffYml({
  test: `run: |\n  echo "pr=$KICKOFF_PR_NUMBER branch=$KICKOFF_BRANCH ref=$KICKOFF_REF event=$KICKOFF_EVENT"\n  git log -1 --format=%s`,
  "main-prs": `on:\n  pull_request:\n    branches: [main]\nrun: "true"`,
  "closed-only": `on:\n  pull_request:\n    types: [closed]\nrun: "true"`,
});

describe("pull requests from the same repository", () => {
  let h: Harness;
  let repo: StandInRepo;
  let base: string;

  beforeAll(async () => {
    h = await startHarness();
    repo = await h.gh.createRepo("acme/prs");
    base = await repo.commit({ branch: "main", files: { [CONFIG_PATH]: CONFIG }, message: "init" });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function openPr(number: number, branch: string, message: string, action = "opened", baseRef = "main") {
    const head = await repo.commit({ branch, parent: base, files: { [`f${number}.txt`]: message }, message });
    repo.pull(number, { baseBranch: baseRef, headSha: head, headRef: branch });
    const id = `pr-${number}-${action}-${head.slice(0, 7)}`;
    const res = await h.send("pull_request", pullRequestPayload(repo, { action, number, headSha: head, headRef: branch, baseRef, baseSha: base }), { id });
    expect(res.status).toBe(202);
    return { head, id };
  }

  it("runs the pipelines of an opened pull request on its head commit, with PR variables", async () => {
    const { head } = await openPr(7, "feature/login", "Add login");
    const run = await completedRun(h.gh, repo, "test", head);
    expect(run.conclusion).toBe("success");
    expect(run.output.text).toContain("pr=7 branch=feature/login ref=refs/pull/7/head event=pull_request");
    expect(run.output.text).toContain("Add login");
    expect(run.output.summary).toContain("pull request [#7]");
    await completedRun(h.gh, repo, "main-prs", head);
    expect(
      h.gh
        .checkRuns(repo.fullName, head)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["main-prs", "test"]);
  });

  it("filters on the base branch and on the action types", async () => {
    await repo.commit({ branch: "develop", parent: base, files: { "d.txt": "d" } });
    const { head, id } = await openPr(8, "feature/other", "Other", "opened", "develop");
    await completedRun(h.gh, repo, "test", head);
    expect(h.gh.checkRuns(repo.fullName, head).map((r) => r.name)).toEqual(["test"]);
    expect(await processed(h, id)).toMatch(/builds: #\d+ test/);
    const edited = await h.send(
      "pull_request",
      pullRequestPayload(repo, { action: "edited", number: 8, headSha: head, headRef: "feature/other", baseRef: "develop", baseSha: base }),
      { id: "pr-8-edited" },
    );
    expect(edited.status).toBe(202);
    expect(await processed(h, "pr-8-edited")).toBe("filtered: no pipeline matched");
  });

  it("runs a pipeline once per commit when a push and a pull request both start it", async () => {
    const { head } = await openPr(9, "feature/both", "Both");
    await completedRun(h.gh, repo, "test", head);
    const res = await h.send("pull_request", pullRequestPayload(repo, { action: "reopened", number: 9, headSha: head, headRef: "feature/both", baseRef: "main", baseSha: base }), {
      id: "pr-9-reopened",
    });
    expect(res.status).toBe(202);
    expect(await processed(h, "pr-9-reopened")).toMatch(/already built for this commit: test, main-prs/);
    expect(h.gh.checkRuns(repo.fullName, head).filter((r) => r.name === "test")).toHaveLength(1);
  });

  it("skips a pull request whose head commit says [skip ci]", async () => {
    const { head, id } = await openPr(10, "feature/skip", "Docs only [skip ci]");
    expect(await processed(h, id)).toMatch(/skip ci/);
    expect(h.gh.checkRuns(repo.fullName, head)).toEqual([]);
  });

  it("does not run or clone a pull request from a fork before approval", async () => {
    const fork = await h.gh.createRepo("mallory/prs");
    const head = await fork.commit({ branch: "evil", parent: base, files: { "x.sh": "curl evil" }, message: "innocent" });
    repo.pull(11, { baseBranch: "main", headSha: head, headRef: "evil", fork: { fullName: fork.fullName, cloneUrl: fork.cloneUrl } });
    const res = await h.send(
      "pull_request",
      pullRequestPayload(repo, {
        action: "opened",
        number: 11,
        headSha: head,
        headRef: "evil",
        baseRef: "main",
        baseSha: base,
        fork: { fullName: fork.fullName, cloneUrl: fork.cloneUrl },
      }),
      { id: "pr-fork" },
    );
    expect(res.status).toBe(202);
    expect(await processed(h, "pr-fork")).toMatch(/^waiting for approval: /);
    await h.gh.waitFor(() => h.gh.checkRuns(repo.fullName, head).length === 2);
    expect(h.gh.checkRuns(repo.fullName, head).every((r) => r.status === "completed" && r.conclusion === "action_required")).toBe(true);
    expect(h.gh.requests.filter((r) => r.kind === "git" && r.path.startsWith("/mallory/"))).toEqual([]);
  });
});
