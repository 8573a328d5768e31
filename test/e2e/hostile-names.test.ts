// Branch names, pull request titles and commit messages are written by whoever pushes.
// Shell metacharacters in them must never execute, and `::error::` text in them must not
// forge annotations: webhook data reaches a run only through KICKOFF_* variables.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import { isSafeRef } from "../../src/runner/checkout-input.js";
import type { StandInRepo } from "../support/github-stand-in.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";
import { completedRun, kickoffYml, pushCommit } from "../support/e2e.js";
import { pullRequestPayload } from "../support/webhooks.js";

describe("hostile branch names, titles and commit messages", () => {
  let h: Harness;
  let repo: StandInRepo;
  const markers = mkdtempSync(path.join(os.tmpdir(), "kickoff-pwned-"));
  // Each would create a file in `markers` if any shell ever evaluated it. Branch names
  // cannot hold spaces or colons, so they use ${IFS}.
  const touch = (name: string) => `touch${"${IFS}"}${markers}/${name}`;
  const evilBranch = `evil/$(${touch("branch-subst")});${touch("branch-semi")}&\`${touch("branch-tick")}\`|x'"<>{}!#%=+,`;
  const evilText = (where: string) =>
    [
      `$(touch ${markers}/${where}-subst) \`touch ${markers}/${where}-tick\`; touch ${markers}/${where}-semi`,
      `::error file=src/app.ts,line=1::forged from the ${where}`,
      `::warning::forged from the ${where}`,
      `%0A::error::escaped ${where} && touch ${markers}/${where}-and`,
    ].join("\n");
  const config = kickoffYml({
    echo: [
      "run: |",
      "  # Untrusted values are only ever read from the environment, and quoted.",
      '  echo "branch=$KICKOFF_BRANCH"',
      '  echo "$KICKOFF_BRANCH"',
      '  echo "ref=$KICKOFF_REF"',
    ].join("\n"),
  });

  beforeAll(async () => {
    h = await startHarness();
    repo = await h.gh.createRepo("acme/names");
  });
  afterAll(async () => {
    await h?.close();
    rmSync(markers, { recursive: true, force: true });
  });

  it("accepts every ref git accepts, and nothing that could be an option or a revision expression", () => {
    for (const ref of [`refs/heads/${evilBranch}`, "refs/heads/ü/ß", "refs/heads/a;b", "refs/tags/v1.0"]) expect(isSafeRef(ref), ref).toBe(true);
    for (const ref of [
      "--upload-pack=touch /tmp/x",
      "refs/heads/a b",
      "refs/heads/a:b",
      "refs/heads/a~1",
      "refs/heads/a^",
      "refs/heads/a@{1}",
      "refs/heads/a\nb",
      "refs/heads/../x",
      "refs/heads/x.lock",
      "refs/heads/a\\b",
    ])
      expect(isSafeRef(ref), ref).toBe(false);
  });

  it("runs a push to a branch named with shell metacharacters, passing the name only as $KICKOFF_BRANCH", async () => {
    const sha = await pushCommit(h, repo, evilBranch, { [CONFIG_PATH]: config }, evilText("commit"));
    const run = await completedRun(h.gh, repo, "echo", sha, 60_000);
    expect(run.conclusion).toBe("success");
    const lines = (run.output.text ?? "").split("\n");
    expect(lines).toContain(`branch=${evilBranch}`);
    expect(lines).toContain(evilBranch);
    expect(lines).toContain(`ref=refs/heads/${evilBranch}`);
    // Neither Kickoff's own log lines nor the summary turned webhook text into annotations.
    expect(run.output.annotations).toEqual([]);
    expect(run.output.summary).not.toContain("::error");
    expect(readdirSync(markers)).toEqual([]);
  });

  it("does the same for a pull request whose title and head branch are hostile", async () => {
    const head = `${evilBranch}-pr`;
    const sha = await repo.commit({ branch: head, files: { [CONFIG_PATH]: config }, message: evilText("pr-commit") });
    const base = await repo.head("main").catch(() => sha);
    repo.pull(7, { baseBranch: "main", headSha: sha, headRef: head, title: evilText("title") });
    const res = await h.send(
      "pull_request",
      pullRequestPayload(repo, { action: "opened", number: 7, headSha: sha, headRef: head, baseRef: "main", baseSha: base, title: evilText("title") }),
    );
    expect(res.status).toBe(202);
    const run = await completedRun(h.gh, repo, "echo", sha, 60_000);
    expect(run.conclusion).toBe("success");
    expect((run.output.text ?? "").split("\n")).toContain(`branch=${head}`);
    expect(run.output.annotations).toEqual([]);
    expect(`${run.output.title}\n${run.output.summary}`).not.toMatch(/::error|::warning|forged/);
    expect(readdirSync(markers)).toEqual([]);
    expect(existsSync(path.join(markers, "title-subst"))).toBe(false);
  });
});
