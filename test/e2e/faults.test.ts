// Faults below Kickoff: a locked or full database, an unusable workspace directory, git
// failing mid-fetch. Each must end in a clear failed check run or a retried report (a
// 503 GitHub redelivers), never a crash or a check run stuck in progress. GitHub failing
// to issue a token is covered in resilience.test.ts.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import SQLite from "better-sqlite3";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import type { StandInRepo } from "../support/github-stand-in.js";
import { type Harness, startHarness, WEBHOOK_SECRET } from "../support/kickoff-harness.js";
import { completedRun, eventually, kickoffYml, pushCommit, ZERO } from "../support/e2e.js";
import { waitUntilGone } from "../support/processes.js";
import { checkRunPayload, pushPayload, signBody } from "../support/webhooks.js";

/**
 * A webhook on a connection of its own: a pooled keep-alive one may be closed by the
 * server just as the request goes out, which a stalled process makes likely.
 */
function sendOnFreshConnection(url: string, payload: unknown, id: string): Promise<number> {
  const body = Buffer.from(JSON.stringify(payload));
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": id, "x-hub-signature-256": signBody(WEBHOOK_SECRET, body) },
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("faults in the database, the disk and git", () => {
  let h: Harness;
  let repo: StandInRepo;

  beforeAll(async () => {
    h = await startHarness();
    repo = await h.gh.createRepo("acme/faults");
    repo.setPermission("maintainer", "maintain");
  });
  afterAll(async () => {
    await h?.close();
  });

  const storedIds = async () => new Set((await h.kickoff.store.db.selectFrom("deliveries").select("id").execute()).map((r) => r.id));

  /** GitHub's Re-run button on `run`, and the re-run's completed check run. */
  async function rerun(run: { id: number; name: string; head_sha: string }, id: string) {
    const res = await h.send("check_run", checkRunPayload(repo, { action: "rerequested", run, sender: "maintainer" }), { id });
    expect(res.status).toBe(202);
    return h.gh.waitFor(() => h.gh.checkRuns(repo.fullName, run.head_sha).find((r) => r.name === run.name && r.id !== run.id && r.status === "completed"), {
      timeoutMs: 60_000,
      message: `re-run of ${run.name} never completed`,
    });
  }

  it("fails the build with a clear title when the workspace directory cannot be created, and a re-run later succeeds", async () => {
    // A file where KICKOFF_DATA_DIR/builds should be fails the way a full or read-only
    // disk does: the directory cannot be made.
    const builds = path.join(h.dataDir, "builds");
    rmSync(builds, { recursive: true, force: true });
    writeFileSync(builds, "in the way");
    const sha = await pushCommit(h, repo, "main", { [CONFIG_PATH]: kickoffYml({ workspace: `run: echo built` }) });
    const failed = await completedRun(h.gh, repo, "workspace", sha, 60_000);
    expect(failed.conclusion).toBe("failure");
    expect(failed.output.title).toBe("Checkout failed: cannot create the workspace under KICKOFF_DATA_DIR/builds (a file is in the way)");

    rmSync(builds, { force: true });
    mkdirSync(builds);
    const again = await rerun(failed, "rerun-workspace");
    expect(again.conclusion).toBe("success");
    expect(again.output.text).toContain("built");
  });

  it("fails the build `Checkout failed: …` when git's connection is reset mid-fetch, and a re-run later succeeds", async () => {
    h.gh.fail({ method: "POST", path: /\/git-upload-pack$/, status: "reset" });
    try {
      const sha = await pushCommit(h, repo, "main", { [CONFIG_PATH]: kickoffYml({ fetch: `run: echo fetched` }), "new.txt": "not in the mirror yet" });
      const failed = await completedRun(h.gh, repo, "fetch", sha, 90_000);
      expect(failed.conclusion).toBe("failure");
      expect(failed.output.title).toMatch(/^Checkout failed: git fetch failed: /);
      expect(h.gh.requests.some((r) => r.fault === "reset")).toBe(true);
      // The script's process, started while the fetch went on, ended without running.
      const build = await h.kickoff.store.db.selectFrom("builds").select("process_group").where("sha", "=", sha).where("pipeline", "=", "fetch").executeTakeFirstOrThrow();
      expect(build.process_group).toBeGreaterThan(0);
      expect(await waitUntilGone(build.process_group!)).toBe(true);
      expect(failed.output.text).not.toContain("fetched");

      h.gh.clearFailures();
      const again = await rerun(failed, "rerun-fetch");
      expect(again.conclusion).toBe("success");
      expect(again.output.text).toContain("fetched");
    } finally {
      h.gh.clearFailures();
    }
  });

  it("answers 503 while the database is full, loses nothing it answered 2xx, and takes the redeliveries once there is room", async () => {
    const db = h.kickoff.store.db;
    const { page_count: pages } = (await sql<{ page_count: number }>`PRAGMA page_count`.execute(db)).rows[0] ?? { page_count: 0 };
    // Room for a few ~8 KB deliveries, then SQLITE_FULL, as on a full disk.
    await sql.raw(`PRAGMA max_page_count = ${pages + 12}`).execute(db);
    const answers = new Map<string, number>();
    try {
      for (let i = 0; i < 30; i++) {
        const payload = pushPayload(repo, { ref: "refs/heads/full", before: ZERO, after: "e".repeat(40), message: `${"x".repeat(8000)} [skip ci]` });
        const res = await h.send("push", payload, { id: `full-${i}` });
        answers.set(`full-${i}`, res.status);
      }
    } finally {
      await sql.raw("PRAGMA max_page_count = 1073741823").execute(db);
    }
    const statuses = [...answers.values()];
    expect(statuses).toContain(503);
    expect(statuses.every((s) => s === 202 || s === 503)).toBe(true);
    const stored = await storedIds();
    for (const [id, status] of answers) expect(stored.has(id), `${id} answered ${status}`).toBe(status === 202);
    expect((await fetch(`${h.kickoff.url}/healthz`)).status).toBe(200);

    // GitHub's redelivery of the refused ones (same id) is taken now, and every stored
    // delivery gets planned: the loops that failed meanwhile retried.
    for (const [id, status] of answers) {
      if (status !== 503) continue;
      const res = await h.send("push", pushPayload(repo, { ref: "refs/heads/full", before: ZERO, after: "e".repeat(40), message: "again [skip ci]" }), { id });
      expect(res.status).toBe(202);
    }
    await eventually(
      async () => {
        const pending = await db.selectFrom("deliveries").select("id").where("id", "like", "full-%").where("status", "!=", "done").execute();
        return pending.length === 0 ? true : undefined;
      },
      "every delivery planned after the disk had room again",
      60_000,
    );
  });

  it("answers 503 while another connection holds the database's write lock past busy_timeout, then recovers", async () => {
    const sha = await repo.commit({ branch: "main", files: { [CONFIG_PATH]: kickoffYml({ locked: `run: echo after the lock` }) } });
    const payload = pushPayload(repo, { ref: "refs/heads/main", before: ZERO, after: sha });
    const other = new SQLite(path.join(h.dataDir, "kickoff.db"));
    // SQLite waits for a lock synchronously, stalling the whole process for busy_timeout
    // on every blocked statement; 5 s each would make this test crawl, and the fault is
    // the same at 300 ms.
    await sql.raw("PRAGMA busy_timeout = 300").execute(h.kickoff.store.db);
    let status: number;
    try {
      other.exec("BEGIN IMMEDIATE");
      // Kickoff waits busy_timeout for the lock, then gives up on the insert.
      status = await sendOnFreshConnection(h.webhookUrl, payload, "locked-1");
    } finally {
      other.exec("ROLLBACK");
      other.close();
      await sql.raw("PRAGMA busy_timeout = 5000").execute(h.kickoff.store.db);
    }
    expect(status).toBe(503);
    expect((await storedIds()).has("locked-1")).toBe(false);

    // GitHub's redelivery succeeds, and the build runs to a completed check run.
    expect((await h.send("push", payload, { id: "locked-1" })).status).toBe(202);
    const run = await completedRun(h.gh, repo, "locked", sha, 90_000);
    expect(run.conclusion).toBe("success");
    expect(run.output.text).toContain("after the lock");
  }, 180_000);
});
