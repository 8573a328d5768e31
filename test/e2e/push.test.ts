import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import type { StandInRepo } from "../support/github-stand-in.js";
import { type Harness, startHarness, WEBHOOK_SECRET } from "../support/kickoff-harness.js";
import { completedRun, kickoffYml, pushCommit } from "../support/e2e.js";

describe("push → check run, end to end", () => {
  let h: Harness;
  let repo: StandInRepo;

  beforeAll(async () => {
    h = await startHarness();
    repo = await h.gh.createRepo("acme/shop");
  });
  afterAll(async () => {
    await h?.close();
  });

  it("runs a passing pipeline and reports queued → in_progress → completed success", async () => {
    const sha = await pushCommit(h, repo, "main", {
      [CONFIG_PATH]: kickoffYml({ test: `run: |\n  echo "hello from $KICKOFF_PIPELINE"\n  test -f README.md` }),
      "README.md": "# shop\n",
    });
    const run = await completedRun(h.gh, repo, "test", sha);
    expect(run.conclusion).toBe("success");
    expect(run.output.title).toMatch(/^Passed in \d/);
    expect(run.output.text).toContain("hello from test");
    expect(run.output.summary).toContain("**Trigger:** push to `main`");
    expect(run.external_id).toMatch(/^\d+$/);
    expect(run.details_url).toBe(`http://kickoff.test/builds/${run.external_id}?token=${new URL(run.details_url!).searchParams.get("token")}`);
    const states = h.gh.checkRunHistory(run.id).map((r) => r.status);
    expect(states[0]).toBe("queued");
    expect(states).toContain("in_progress");
    expect(states.at(-1)).toBe("completed");
    // Never backwards: nothing after the first completed.
    expect(states.indexOf("completed")).toBe(states.length - 1);
  });

  it("reports a failing script with its exit code", async () => {
    const sha = await pushCommit(h, repo, "main", { [CONFIG_PATH]: kickoffYml({ test: `run: echo about to fail; exit 3` }) });
    const run = await completedRun(h.gh, repo, "test", sha);
    expect(run.conclusion).toBe("failure");
    expect(run.output.title).toMatch(/^Failed \(exit 3\) in \d/);
    expect(run.output.text).toContain("about to fail");
  });

  it("turns ::error/::warning/::notice lines into annotations, and appends KICKOFF_SUMMARY", async () => {
    const script = [
      `echo "::error file=src/app.ts,line=3,col=5,title=Type error::Cannot find name 'x'"`,
      `echo "::warning file=README.md,line=1::Heading is short"`,
      `echo "::notice::Done linting"`,
      `echo "## Coverage: 93%" >> "$KICKOFF_SUMMARY"`,
      `for i in $(seq 1 60); do echo "::warning file=many.txt,line=$i::warning $i"; done`,
    ].join("\n");
    const sha = await pushCommit(h, repo, "main", { [CONFIG_PATH]: kickoffYml({ lint: `run: |\n${script.replace(/^/gm, "  ")}` }) });
    const run = await completedRun(h.gh, repo, "lint", sha);
    expect(run.conclusion).toBe("success");
    expect(run.output.summary).toContain("## Coverage: 93%");
    const annotations = run.output.annotations;
    expect(annotations).toHaveLength(63);
    expect(annotations[0]).toMatchObject({
      path: "src/app.ts",
      start_line: 3,
      end_line: 3,
      start_column: 5,
      annotation_level: "failure",
      title: "Type error",
      message: "Cannot find name 'x'",
    });
    expect(annotations[1]).toMatchObject({ path: "README.md", start_line: 1, annotation_level: "warning" });
    expect(annotations[2]).toMatchObject({ annotation_level: "notice", message: "Done linting" });
    // 63 annotations need two requests (50 per request); both reached GitHub before completion.
    const history = h.gh.checkRunHistory(run.id);
    expect(history.at(-1)?.status).toBe("completed");
  });

  it("gives a run a clean environment: no server secrets, no token, no server variables", async () => {
    process.env.KICKOFF_TEST_SERVER_ONLY = "server-only-value";
    const sha = await pushCommit(h, repo, "main", {
      [CONFIG_PATH]: kickoffYml({ env: `env:\n  GREETING: hi\nrun: |\n  env | sort\n  git remote -v\n  git config --list --show-origin || true\n  cat .git/config` }),
    });
    const run = await completedRun(h.gh, repo, "env", sha);
    expect(run.conclusion).toBe("success");
    const log = await (await fetch(`${h.kickoff.url}/builds/${run.external_id}/log`)).text();
    for (const line of [
      "CI=true",
      "KICKOFF=true",
      "KICKOFF_EVENT=push",
      `KICKOFF_REPOSITORY=${repo.fullName}`,
      `KICKOFF_SHA=${sha}`,
      "KICKOFF_REF=refs/heads/main",
      "KICKOFF_BRANCH=main",
      "KICKOFF_PIPELINE=env",
      `KICKOFF_BUILD_ID=${run.external_id}`,
      "GREETING=hi",
    ]) {
      expect(log).toContain(line);
    }
    expect(log).toMatch(/^KICKOFF_SUMMARY=\/.+summary\.md$/m);
    expect(log).not.toContain("KICKOFF_PR_NUMBER");
    const forbidden = [
      WEBHOOK_SECRET,
      "server-only-value",
      "KICKOFF_TEST_SERVER_ONLY",
      "APP_ID",
      "PRIVATE_KEY",
      "WEBHOOK_SECRET",
      "GHE_HOST",
      "GIT_CONFIG",
      "extraheader",
      ...h.gh.issuedTokens(),
    ];
    for (const secret of forbidden) expect(log).not.toContain(secret);
    const keyBody = h.gh.privateKey.split("\n")[1]!;
    expect(log).not.toContain(keyBody);
    // The clone did authenticate, with the installation token as a Basic password.
    const gitRequests = h.gh.requests.filter((r) => r.kind === "git");
    expect(gitRequests.length).toBeGreaterThan(0);
    expect(gitRequests.every((r) => r.auth.kind === "installation-token" && r.auth.user === "x-access-token")).toBe(true);
    delete process.env.KICKOFF_TEST_SERVER_ONLY;
  });

  it("shows a public repository's build page and raw log", async () => {
    const sha = await pushCommit(h, repo, "main", { [CONFIG_PATH]: kickoffYml({ page: `run: echo "<script>alert(1)</script>"` }) });
    const run = await completedRun(h.gh, repo, "page", sha);
    const page = await fetch(`${h.kickoff.url}/builds/${run.external_id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/(&lt;|&#60;)script(&gt;|&#62;)alert\(1\)(&lt;|&#60;)\/script(&gt;|&#62;)/);
    expect(html).not.toContain("<script>alert(1)");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
  });
});
