import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import type { StandInRepo } from "../support/github-stand-in.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";
import { completedRun, kickoffYml, processed } from "../support/e2e.js";
import { checkRunPayload, issueCommentPayload, pullRequestPayload } from "../support/webhooks.js";

const CONFIG = kickoffYml({
  test: `run: |\n  echo "fork code ran: $(cat evil.txt)"`,
  strict: `trust: approve\nrun: echo strict`,
  ship: `environment: production\non:\n  pull_request: {}\nrun: echo deploying`,
});

describe("fork pull requests and PR comment commands", () => {
  let h: Harness;
  let repo: StandInRepo;
  let fork: StandInRepo;
  let base: string;
  let prNumber = 40;

  beforeAll(async () => {
    h = await startHarness();
    repo = await h.gh.createRepo("acme/trust");
    fork = await h.gh.createRepo("mallory/trust");
    base = await repo.commit({ branch: "main", files: { [CONFIG_PATH]: CONFIG }, message: "init" });
    repo.setPermission("maintainer", "maintain");
    repo.setPermission("writer", "write");
    repo.setPermission("reader", "read");
    repo.setPermission("triager", "triage");
  });
  afterAll(async () => {
    await h?.close();
  });

  async function forkPr(o: { author?: string; number?: number; content?: string } = {}) {
    const number = o.number ?? ++prNumber;
    const head = await fork.commit({ branch: `pr-${number}`, parent: base, files: { "evil.txt": o.content ?? `pwned ${number}` }, message: `change ${number}` });
    const forkInfo = { fullName: fork.fullName, cloneUrl: fork.cloneUrl };
    repo.pull(number, { baseBranch: "main", headSha: head, headRef: `pr-${number}`, fork: forkInfo, user: o.author ?? "mallory" });
    const id = `fork-${number}-${head.slice(0, 7)}`;
    const res = await h.send(
      "pull_request",
      pullRequestPayload(repo, {
        action: o.number ? "synchronize" : "opened",
        number,
        headSha: head,
        headRef: `pr-${number}`,
        baseRef: "main",
        baseSha: base,
        fork: forkInfo,
        user: o.author ?? "mallory",
      }),
      { id },
    );
    expect(res.status).toBe(202);
    return { number, head, outcome: await processed(h, id) };
  }

  async function comment(number: number, user: string, body: string, action: "created" | "edited" | "deleted" = "created") {
    const id = `comment-${number}-${user}-${Math.random().toString(36).slice(2)}`;
    const res = await h.send("issue_comment", issueCommentPayload(repo, { number, body, user, isPull: true, action }), { id });
    expect(res.status).toBe(202);
    return processed(h, id);
  }

  const gitFetchesOf = (sha: string) => h.gh.requests.filter((r) => r.kind === "git" && JSON.stringify(r.body).includes(sha));

  it("holds a fork's pipelines at action_required with an Approve button, and clones nothing", async () => {
    const { head, outcome } = await forkPr();
    expect(outcome).toMatch(/waiting for approval: #\d+ test, #\d+ strict; deploy pipelines never run from forks: ship/);
    const test = await completedRun(h.gh, repo, "test", head);
    expect(test.conclusion).toBe("action_required");
    expect(test.output.title).toBe("Approval needed: pull request from a fork");
    expect(test.actions).toEqual([{ label: "Approve and run", description: "Run this fork's commit", identifier: "approve" }]);
    await h.gh.waitFor(() => h.gh.checkRuns(repo.fullName, head).length === 2);
    expect(
      h.gh
        .checkRuns(repo.fullName, head)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["strict", "test"]);
    expect(h.gh.requests.filter((r) => r.kind === "git")).toEqual([]);
    expect(gitFetchesOf(head)).toEqual([]);
  });

  it("runs the commit once a writer presses Approve and run, each pipeline with a new check run", async () => {
    const { head } = await forkPr();
    const gate = await completedRun(h.gh, repo, "test", head);
    await h.send("check_run", checkRunPayload(repo, { action: "requested_action", run: gate, requestedAction: "approve", sender: "maintainer" }), { id: `approve-${head}` });
    expect(await processed(h, `approve-${head}`)).toMatch(/approved [0-9a-f]{7} by @maintainer: 2 build\(s\) started/);
    const runs = await h.gh.waitFor(() => {
      const done = h.gh.checkRuns(repo.fullName, head).filter((r) => r.name === "test" && r.conclusion === "success");
      return done.length === 1 ? done : undefined;
    });
    expect(runs[0]!.output.text).toContain("fork code ran: pwned");
    expect(runs[0]!.id).not.toBe(gate.id);
    // Pressing it again starts nothing more.
    await h.send("check_run", checkRunPayload(repo, { action: "requested_action", run: gate, requestedAction: "approve", sender: "maintainer" }), { id: `approve-again-${head}` });
    expect(await processed(h, `approve-again-${head}`)).toMatch(/: 0 build\(s\) started/);
  });

  it("re-gates a new push to the fork, and `/kickoff approve` from a writer approves it", async () => {
    const first = await forkPr();
    const gate = await completedRun(h.gh, repo, "test", first.head);
    await h.send("check_run", checkRunPayload(repo, { action: "requested_action", run: gate, requestedAction: "approve", sender: "writer" }), {
      id: `approve-first-${first.head}`,
    });
    await h.gh.waitFor(() => h.gh.checkRuns(repo.fullName, first.head).find((r) => r.name === "test" && r.conclusion === "success"));

    const pushed = await forkPr({ number: first.number, content: "second push" });
    expect(pushed.outcome).toMatch(/waiting for approval/);
    expect((await completedRun(h.gh, repo, "test", pushed.head)).conclusion).toBe("action_required");

    expect(await comment(first.number, "writer", "Looks fine.\n/kickoff approve")).toMatch(/^approved [0-9a-f]{7} by @writer: 2 build\(s\) started/);
    const run = await h.gh.waitFor(() => h.gh.checkRuns(repo.fullName, pushed.head).find((r) => r.name === "test" && r.conclusion === "success"));
    expect(run.output.text).toContain("fork code ran: second push");
    await h.gh.waitFor(() => h.gh.reactions(repo.fullName).length > 0);
  });

  it("refuses approval from a read-only user or a triager, with a reply, and runs nothing", async () => {
    const { number, head } = await forkPr();
    const gate = await completedRun(h.gh, repo, "test", head);
    await h.send("check_run", checkRunPayload(repo, { action: "requested_action", run: gate, requestedAction: "approve", sender: "reader", pullRequests: [] }), {
      id: `reader-${head}`,
    });
    expect(await processed(h, `reader-${head}`)).toMatch(/refused approve: @reader has read access/);
    expect(await comment(number, "triager", "/kickoff approve")).toMatch(/refused \/kickoff approve: @triager has triage access/);
    expect(await comment(number, "mallory", "/kickoff run")).toMatch(/refused \/kickoff run: @mallory is not a collaborator/);
    // Three replies: the reader's button press is answered on the pull request too. The
    // outbox posts them one by one, so wait for all three, not the first two.
    const replies = await h.gh.waitFor(() => {
      const c = h.gh.comments(repo.fullName, number);
      return c.length >= 3 ? c : undefined;
    });
    expect(replies.map((c) => c.body)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Nothing happened: @reader has read access/),
        expect.stringMatching(/^@triager nothing happened: @triager has triage access/),
        expect.stringMatching(/^@mallory nothing happened/),
      ]),
    );
    expect(h.gh.checkRuns(repo.fullName, head).every((r) => r.conclusion === "action_required")).toBe(true);
  });

  it("denies when GitHub cannot answer the permission check", async () => {
    const { number, head } = await forkPr();
    h.gh.fail({ path: /\/collaborators\/[^/]+\/permission$/, status: 502 });
    try {
      expect(await comment(number, "maintainer", "/kickoff approve")).toMatch(/refused \/kickoff approve: could not check @maintainer's permission with GitHub \(HTTP 502\)/);
    } finally {
      h.gh.clearFailures();
    }
    expect(h.gh.checkRuns(repo.fullName, head).every((r) => r.conclusion === "action_required")).toBe(true);
  });

  it("trusts a fork PR whose author can write, except pipelines with `trust: approve`", async () => {
    const { head, outcome } = await forkPr({ author: "writer" });
    expect(outcome).toMatch(/builds: #\d+ test; waiting for approval: #\d+ strict/);
    expect((await completedRun(h.gh, repo, "test", head)).conclusion).toBe("success");
    expect((await completedRun(h.gh, repo, "strict", head)).conclusion).toBe("action_required");
  });

  it("`/kickoff run <pipeline>` from a writer approves and runs just that pipeline on a fork", async () => {
    const { number, head } = await forkPr();
    expect(await comment(number, "writer", "/kickoff run strict")).toMatch(/^run: builds: #\d+ strict$/);
    const run = await h.gh.waitFor(() => h.gh.checkRuns(repo.fullName, head).find((r) => r.name === "strict" && r.conclusion === "success"));
    expect(run.output.text).toContain("strict");
    expect(await comment(number, "writer", "/kickoff run ship")).toMatch(/Deploy pipelines never run from forks/);
  });

  it("answers unknown commands with the list, ignores edits, deletions and non-PR comments", async () => {
    const { number } = await forkPr();
    expect(await comment(number, "writer", "/kickoff deploy now")).toBe("unknown command");
    const reply = await h.gh.waitFor(() => h.gh.comments(repo.fullName, number).find((c) => c.body.includes("I don't know")));
    expect(reply.body).toContain("`/kickoff approve`");
    expect(await comment(number, "writer", "/kickoff approve", "edited")).toMatch(/^ignored: Kickoff does not act on issue_comment.edited/);
    expect(await comment(number, "writer", "/kickoff approve", "deleted")).toMatch(/^ignored/);
    const res = await h.send("issue_comment", issueCommentPayload(repo, { number: 999, body: "/kickoff run", user: "writer", isPull: false }), { id: "issue-comment" });
    expect(res.status).toBe(202);
    expect(await processed(h, "issue-comment")).toBe("ignored: not a pull request");
  });

  it("`/kickoff cancel` cancels every queued or running build of the pull request", async () => {
    const number = ++prNumber;
    const head = await repo.commit({ branch: `slow-${number}`, parent: base, files: { [CONFIG_PATH]: kickoffYml({ a: `run: sleep 60`, b: `run: sleep 60` }) } });
    repo.pull(number, { baseBranch: "main", headSha: head, headRef: `slow-${number}` });
    await h.send("pull_request", pullRequestPayload(repo, { action: "opened", number, headSha: head, headRef: `slow-${number}`, baseRef: "main", baseSha: base }), {
      id: `slow-${number}`,
    });
    await h.gh.waitFor(() => h.gh.checkRuns(repo.fullName, head).some((r) => r.status === "in_progress"));
    expect(await comment(number, "maintainer", "/kickoff cancel")).toBe("cancel: 2 build(s)");
    const a = await completedRun(h.gh, repo, "a", head);
    const b = await completedRun(h.gh, repo, "b", head);
    expect([a.conclusion, b.conclusion]).toEqual(["cancelled", "cancelled"]);
    expect(a.output.title).toBe("Cancelled by @maintainer");
  });
});
