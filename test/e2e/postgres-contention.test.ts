import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workerPid } from "../../src/runner/worker-identity.js";
import { openStore, type Store } from "../../src/store/database.js";
import { buildConfig, newBuildOf } from "../support/builds.js";
import { eventually } from "../support/e2e.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/github-stand-in.js";
import { type Machine, type Machines, machines } from "../support/machines.js";
import { type FreshSchema, freshSchema, testDatabaseUrl } from "../support/postgres.js";

/**
 * Builds queued at once; the suite runs a few hundred, `npm run bench` the 2,000
 * (results in BENCHMARKS.md).
 */
const BUILDS = Number(process.env.KICKOFF_CONTENTION_BUILDS ?? 300);
const WORKERS = 4;
/** Per worker process: 4 × 2 builds at once keep a 2-core machine busy without thrashing. */
const CONCURRENCY = Number(process.env.KICKOFF_CONTENTION_CONCURRENCY ?? 2);
/** Generous: the machine is shared (see BENCHMARKS.md for measured throughput). */
const DEADLINE_MS = 60_000 + BUILDS * 400;

/**
 * The queue under contention: many trivial builds, several `kickoff worker` processes
 * claiming from one PostgreSQL, one intake process reporting to the GitHub stand-in.
 * Every build must run exactly once and report exactly one completed check run.
 */
describe.skipIf(!testDatabaseUrl)(`${BUILDS} queued builds, ${WORKERS} worker processes, one PostgreSQL`, () => {
  let gh: GitHubStandIn;
  let schema: FreshSchema;
  let store: Store;
  let cluster: Machines;
  let workers: Machine[];

  beforeAll(async () => {
    gh = await startGitHubStandIn();
    schema = await freshSchema(testDatabaseUrl!);
    store = await openStore({ databaseUrl: schema.url, dataDir: os.tmpdir(), poolSize: 2 });
    cluster = machines(gh, schema.url, { KICKOFF_CONCURRENCY: String(CONCURRENCY), LOG_LEVEL: "warn" });
    // `kickoff start` logs its start at info; the harness waits for that line.
    const intake = cluster.start(["start", "--no-worker"], { LOG_LEVEL: "info" });
    workers = await Promise.all(Array.from({ length: WORKERS }, () => cluster.start(["worker"], { LOG_LEVEL: "info" })));
    await intake;
  });
  afterAll(async () => {
    await cluster?.close();
    await store?.close();
    await schema?.drop();
    await gh?.close();
  });

  it(
    "runs every build exactly once, loses none, and reports each once",
    async () => {
      const repo = await gh.createRepo("acme/contention");
      const sha = await repo.commit({ branch: "main", files: { "README.md": "contention\n" } });
      const config = buildConfig({ run: 'echo "ran $KICKOFF_BUILD_ID"' });
      const rows = Array.from({ length: BUILDS }, (_, i) =>
        newBuildOf(repo, {
          pipeline: `b${i}`,
          sha,
          config,
          queued_at: Date.now(),
        }),
      );
      const insertedAt = Date.now();
      for (let i = 0; i < rows.length; i += 500)
        await store.db
          .insertInto("builds")
          .values(rows.slice(i, i + 500))
          .execute();

      let lastReport = 0;
      await eventually(
        async () => {
          const { n } = await store.db
            .selectFrom("builds")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("status", "=", "done")
            .executeTakeFirstOrThrow();
          if (Date.now() - lastReport > 10_000) {
            lastReport = Date.now();
            process.stdout.write(`contention: ${n}/${BUILDS} builds done\n`);
          }
          return Number(n) === BUILDS;
        },
        "not every build finished",
        DEADLINE_MS,
      );
      const wallMs = Date.now() - insertedAt;

      const builds = await store.db.selectFrom("builds").select(["id", "pipeline", "status", "conclusion", "attempt", "worker_id", "started_at", "finished_at"]).execute();
      expect(builds).toHaveLength(BUILDS);
      const unexpected = builds.filter((b) => b.status !== "done" || b.conclusion !== "success" || b.attempt !== 1);
      expect(unexpected).toEqual([]);

      // Exactly one run per build: each log announces its run once and prints once.
      const logs = await store.db.selectFrom("log_chunks").select(["build_id", "seq", "data"]).orderBy("build_id").orderBy("seq").execute();
      const text = new Map<number, string>();
      for (const chunk of logs) text.set(chunk.build_id, (text.get(chunk.build_id) ?? "") + Buffer.from(chunk.data).toString("utf8"));
      for (const b of builds) {
        const log = text.get(b.id) ?? "";
        expect({ build: b.id, starts: log.split(` Running ${b.pipeline} (timeout`).length - 1, runs: log.split(`ran ${b.id}\n`).length - 1 }).toEqual({
          build: b.id,
          starts: 1,
          runs: 1,
        });
      }

      // Every worker process took part.
      const perWorker = new Map<number, number>();
      for (const b of builds) {
        const pid = workerPid(b.worker_id ?? "") ?? -1;
        perWorker.set(pid, (perWorker.get(pid) ?? 0) + 1);
      }
      expect([...perWorker.keys()].sort()).toEqual(workers.map((w) => w.pid).sort());

      // One check run per build, completed once, reached GitHub in order.
      await eventually(
        async () => {
          const { n } = await store.db
            .selectFrom("outbox")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("done_at", "is", null)
            .executeTakeFirstOrThrow();
          return Number(n) === 0;
        },
        "the outbox never drained",
        DEADLINE_MS,
      );
      const runs = gh.checkRuns(repo.fullName, sha);
      expect(runs).toHaveLength(BUILDS);
      expect(new Set(runs.map((r) => r.external_id)).size).toBe(BUILDS);
      for (const run of runs) {
        const history = gh.checkRunHistory(run.id).map((r) => r.status);
        expect({ id: run.external_id, conclusion: run.conclusion, completed: history.filter((s) => s === "completed").length, last: history.at(-1) }).toEqual({
          id: run.external_id,
          conclusion: "success",
          completed: 1,
          last: "completed",
        });
      }

      const first = Math.min(...builds.map((b) => b.started_at ?? Infinity));
      const last = Math.max(...builds.map((b) => b.finished_at ?? 0));
      const perSecond = (BUILDS / ((last - first) / 1000)).toFixed(1);
      process.stdout.write(
        `contention: ${BUILDS} builds, ${WORKERS} workers × ${CONCURRENCY} slots on ${os.cpus().length} CPUs: ` +
          `${perSecond} builds/s (first start to last finish ${((last - first) / 1000).toFixed(1)} s; ` +
          `queued to all done ${(wallMs / 1000).toFixed(1)} s); per worker ${[...perWorker.values()].join("/")}\n`,
      );
    },
    DEADLINE_MS * 2 + 60_000,
  );
});
