import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import { workerPid } from "../../src/runner/worker-identity.js";
import type { CheckRunRecord, GitHubStandIn, StandInRepo } from "../support/github-stand-in.js";
import { startGitHubStandIn } from "../support/github-stand-in.js";
import { WEBHOOK_SECRET } from "../support/kickoff-harness.js";
import { completedRun, eventually, kickoffYml, ZERO } from "../support/e2e.js";
import { type Machine, type Machines, machines } from "../support/machines.js";
import { type FreshSchema, freshSchema, testDatabaseUrl } from "../support/postgres.js";
import { pushPayload, sendWebhook } from "../support/webhooks.js";

interface BuildRow {
  id: number;
  pipeline: string;
  sha: string;
  status: string;
  conclusion: string | null;
  attempt: number;
  worker_id: string | null;
}

/** The states a check run went through, oldest first. */
function states(gh: GitHubStandIn, run: CheckRunRecord): string[] {
  return gh.checkRunHistory(run.id).map((r) => (r.status === "completed" ? `completed:${r.conclusion}` : r.status));
}

/** Forward only, and completed exactly once, at the end. */
function expectForwardOnly(history: string[], conclusion: string): void {
  expect(history.filter((s) => s.startsWith("completed"))).toEqual([`completed:${conclusion}`]);
  expect(history.at(-1)).toBe(`completed:${conclusion}`);
  const rank = (s: string) => ["queued", "in_progress", "completed"].indexOf(s.split(":")[0]!);
  expect(history.map(rank)).toEqual([...history.map(rank)].sort((a, b) => a - b));
}

function stopped(m: Machine): boolean {
  return /^\d+ \(.*\) T/.test(readFileSync(`/proc/${m.pid}/stat`, "utf8"));
}

/**
 * Kickoff split across "machines" on one PostgreSQL: real `kickoff start --no-worker` and
 * `kickoff worker` processes, each with its own data directory, against the GitHub
 * stand-in, in a fresh schema (an empty database as far as Kickoff can tell).
 */
describe.skipIf(!testDatabaseUrl)("several machines on one PostgreSQL", () => {
  let gh: GitHubStandIn;
  let schema: FreshSchema;
  let db: pg.Client;
  let cluster: Machines;
  let intakes: Machine[] = [];
  let workers: Machine[] = [];
  const scratch = mkdtempSync(path.join(os.tmpdir(), "kickoff-machines-scratch-"));
  let repoCount = 0;

  beforeAll(async () => {
    gh = await startGitHubStandIn();
    schema = await freshSchema(testDatabaseUrl!);
    db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    // A short lease so that take-overs happen within a test.
    cluster = machines(gh, schema.url, { KICKOFF_LEASE: "3s", KICKOFF_CONCURRENCY: "2" });
  });
  afterAll(async () => {
    await cluster?.close();
    await db?.end();
    await schema?.drop();
    await gh?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function builds(sha?: string): Promise<BuildRow[]> {
    const { rows } = await db.query<BuildRow>(
      `select id, pipeline, sha, status, conclusion, attempt, worker_id from builds ${sha ? "where sha = $1" : ""} order by id`,
      sha ? [sha] : [],
    );
    return rows;
  }

  async function push(intake: Machine, repo: StandInRepo, branch: string, sha: string, id?: string): Promise<void> {
    const res = await sendWebhook(`${intake.url}/api/github/webhooks`, {
      event: "push",
      payload: pushPayload(repo, { ref: `refs/heads/${branch}`, before: ZERO, after: sha }),
      secret: WEBHOOK_SECRET,
      ...(id ? { id } : {}),
    });
    expect([200, 202]).toContain(res.status);
  }

  const newRepo = () => gh.createRepo(`acme/machines-${++repoCount}`);

  it("four processes started at once on an empty database migrate it once, then build a push end to end", async () => {
    const started = await Promise.all([cluster.start(["start", "--no-worker"]), cluster.start(["start", "--no-worker"]), cluster.start(["worker"]), cluster.start(["worker"])]);
    intakes = started.slice(0, 2);
    workers = started.slice(2);
    const { rows: applied } = await db.query<{ name: string }>("select name from kysely_migration order by name");
    expect(applied.map((r) => r.name)).toEqual([...new Set(applied.map((r) => r.name))]);
    expect(applied.map((r) => r.name)).toContain("0003_notify_work");
    for (const intake of intakes) expect((await fetch(`${intake.url}/readyz`)).status).toBe(200);
    // Workers serve no HTTP.
    for (const worker of workers) expect(worker.url).toBeNull();

    const repo = await newRepo();
    const sha = await repo.commit({
      branch: "main",
      files: { [CONFIG_PATH]: kickoffYml({ unit: `run: echo "unit on $KICKOFF_SHA"`, lint: `run: echo "lint ok"` }) },
    });
    await push(intakes[0]!, repo, "main", sha);
    for (const name of ["unit", "lint"]) {
      const run = await completedRun(gh, repo, name, sha, 60_000);
      expect(run.conclusion).toBe("success");
      expectForwardOnly(states(gh, run), "success");
    }
    const rows = await builds(sha);
    expect(rows).toHaveLength(2);
    // Built by the worker processes, not by the intakes (which run no worker).
    for (const row of rows) expect(workers.map((w) => w.pid)).toContain(workerPid(row.worker_id!));
    // The log lives in the database: the other intake machine serves it too.
    const unit = rows.find((r) => r.pipeline === "unit")!;
    const log = await fetch(`${intakes[1]!.url}/builds/${unit.id}/log`);
    expect(log.status).toBe(200);
    expect(await log.text()).toContain(`unit on ${sha}`);
  });

  it("two intake processes share the inbox and the outbox: no double check runs, order kept per check run", async () => {
    const repo = await newRepo();
    const shas: string[] = [];
    for (let i = 0; i < 6; i++) {
      const branch = `topic-${i}`;
      const sha = await repo.commit({
        branch,
        files: { [CONFIG_PATH]: kickoffYml({ a: `run: echo a${i}`, b: `run: echo b${i}`, c: `run: echo c${i}` }), [`f${i}.txt`]: `${i}\n` },
      });
      shas.push(sha);
      // GitHub retrying a delivery may reach either intake: the same delivery id, twice.
      const id = `machines-${repo.name}-${i}`;
      await Promise.all([push(intakes[0]!, repo, branch, sha, id), push(intakes[1]!, repo, branch, sha, id)]);
    }
    for (const sha of shas) {
      for (const name of ["a", "b", "c"]) await completedRun(gh, repo, name, sha, 90_000);
    }
    for (const sha of shas) {
      const runs = gh.checkRuns(repo.fullName, sha);
      expect(runs.map((r) => r.name).sort()).toEqual(["a", "b", "c"]);
      for (const run of runs) expectForwardOnly(states(gh, run), "success");
      expect(await builds(sha)).toHaveLength(3);
    }
    const creates = gh.requests.filter((r) => r.method === "POST" && r.path === `/api/v3/repos/${repo.fullName}/check-runs`);
    expect(creates).toHaveLength(shas.length * 3);
  });

  it("a worker presumed dead (stopped past its lease) comes back: its late result does not overwrite its successor's", async () => {
    const repo = await newRepo();
    const marker = path.join(scratch, "stalled.started");
    const release = path.join(scratch, "stalled.release");
    // The first attempt fails once released (while its worker is stopped); the attempt
    // that replaces it passes at once.
    const script = `run: |\n  if [ -e "${marker}" ]; then echo "second attempt"; exit 0; fi\n  touch "${marker}"\n  echo "first attempt"\n  while [ ! -e "${release}" ]; do sleep 0.1; done\n  exit 1`;
    const sha = await repo.commit({ branch: "main", files: { [CONFIG_PATH]: kickoffYml({ stall: script }) } });
    await push(intakes[0]!, repo, "main", sha);
    await eventually(async () => existsSync(marker), "the first attempt never started", 60_000);
    const [first] = await builds(sha);
    const holder = cluster.byPid(workerPid(first!.worker_id!)!)!;
    expect(workers).toContain(holder);
    holder.child.kill("SIGSTOP");
    await eventually(async () => stopped(holder), "the worker did not stop");
    writeFileSync(release, "");
    let taken: BuildRow;
    try {
      // The other worker takes the build over once the lease lapses, and finishes it.
      taken = await eventually(
        async () => {
          const [row] = await builds(sha);
          return row?.status === "done" ? row : undefined;
        },
        "nobody took the stalled build over",
        60_000,
      );
      expect(taken.conclusion).toBe("success");
      expect(taken.attempt).toBe(2);
      expect(taken.worker_id).not.toBe(first!.worker_id);
    } finally {
      holder.child.kill("SIGCONT");
    }
    // Its script has ended meanwhile; back from the dead, the stalled worker tries to
    // report it (or learns from its heartbeat that it lost the build) and is refused.
    await eventually(async () => /taken over while it ran|lost the build's lease/.test(holder.output()), "the stalled worker never noticed it lost the build", 60_000);
    const [after] = await builds(sha);
    expect(after).toEqual(taken);
    const run = await completedRun(gh, repo, "stall", sha, 60_000);
    expect(run.conclusion).toBe("success");
    expect(gh.checkRuns(repo.fullName, sha)).toHaveLength(1);
    expectForwardOnly(states(gh, run), "success");
    expect(run.output.text).toContain("second attempt");
    // And it goes on working.
    const next = await repo.commit({ branch: "main", files: { [CONFIG_PATH]: kickoffYml({ after: "run: echo fine" }) } });
    await push(intakes[1]!, repo, "main", next);
    expect((await completedRun(gh, repo, "after", next, 60_000)).conclusion).toBe("success");
  });

  it("a worker killed with SIGKILL mid-build: another takes the build over after the lease and completes it once", async () => {
    const repo = await newRepo();
    const pidFile = path.join(scratch, "killed.pid");
    const script = `run: |\n  if [ -e "${pidFile}" ]; then echo "taken over"; exit 0; fi\n  echo $$ > "${pidFile}"\n  echo "first attempt"\n  sleep 60`;
    const sha = await repo.commit({ branch: "main", files: { [CONFIG_PATH]: kickoffYml({ crash: script }) } });
    await push(intakes[1]!, repo, "main", sha);
    await eventually(async () => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "", "the first attempt never started", 60_000);
    const [first] = await builds(sha);
    const victim = cluster.byPid(workerPid(first!.worker_id!)!)!;
    victim.child.kill("SIGKILL");
    await victim.exited;
    try {
      const run = await completedRun(gh, repo, "crash", sha, 60_000);
      expect(run.conclusion).toBe("success");
      expect(run.output.text).toContain("taken over");
      expect(run.output.summary).toContain("**Attempt:** 2");
      expect(gh.checkRuns(repo.fullName, sha)).toHaveLength(1);
      expectForwardOnly(states(gh, run), "success");
      const [row] = await builds(sha);
      expect(row).toMatchObject({ status: "done", conclusion: "success", attempt: 2 });
      expect(workerPid(row!.worker_id!)).not.toBe(victim.pid);
    } finally {
      // The dead machine's script is an orphan no other machine can reach; end it here.
      try {
        process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
});
