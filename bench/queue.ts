// Queue: 10,000 queued builds claimed and completed, builds per second, on SQLite and (with
// TEST_DATABASE_URL) PostgreSQL. Measures the queue itself (claim with lease, guarded
// finish with its outbox report): no checkout or process, which bench/contention.sh and
// the runner overhead benchmark cover.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { completedRequests } from "../src/github/check-run-request.js";
import { reportCheckRun } from "../src/github/report.js";
import { systemClock } from "../src/shared/clock.js";
import { openStore, type Store } from "../src/store/database.js";
import { claimBuild, finishBuild } from "../src/store/queue.js";
import { buildLinks } from "../src/web/links.js";
import { newBuild } from "../test/support/builds.js";
import { freshSchema } from "../test/support/postgres.js";

const BUILDS = Number(process.env.BENCH_BUILDS ?? 10_000);
const CLAIMERS = Number(process.env.BENCH_CLAIMERS ?? 4);
const links = buildLinks("http://kickoff.test", "key");

async function run(store: Store): Promise<number> {
  for (let i = 0; i < BUILDS; i += 500) {
    await store.db
      .insertInto("builds")
      .values(Array.from({ length: Math.min(500, BUILDS - i) }, (_, k) => newBuild({ queued_at: i + k })))
      .execute();
  }
  const postgres = store.dialect === "postgres";
  const t = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: CLAIMERS }, async (_, c) => {
      const worker = { id: `bench#${c}#x`, host: "bench" };
      for (;;) {
        const build = await claimBuild(store.db, systemClock, worker, 30_000, postgres);
        if (!build) return;
        await store.db.transaction().execute(async (trx) => {
          const finished = await finishBuild(trx, systemClock, build.id, worker.id, {
            conclusion: "success",
            title: "Passed in 0s",
            exitCode: 0,
            summary: null,
            annotations: null,
          });
          if (!finished) throw new Error(`lost build ${build.id}`);
          await reportCheckRun(
            trx,
            systemClock,
            finished,
            completedRequests(finished, links.buildUrl(finished.id), { logTail: "", annotations: [], droppedAnnotations: 0, runSummary: null }),
          );
        });
        done++;
      }
    }),
  );
  const seconds = (performance.now() - t) / 1000;
  if (done !== BUILDS) throw new Error(`completed ${done} of ${BUILDS}`);
  return BUILDS / seconds;
}

const results: Record<string, number> = {};
const dir = mkdtempSync(path.join(os.tmpdir(), "kickoff-bench-queue-"));
const sqlite = await openStore({ databaseUrl: null, dataDir: dir });
results.sqlite = await run(sqlite);
await sqlite.close();
process.stdout.write(`SQLite: ${BUILDS} builds claimed and completed by ${CLAIMERS} claimers: ${results.sqlite.toFixed(0)} builds/s\n`);
if (process.env.TEST_DATABASE_URL) {
  const { url, drop } = await freshSchema(process.env.TEST_DATABASE_URL);
  const pg = await openStore({ databaseUrl: url, dataDir: dir });
  results.postgres = await run(pg);
  await pg.close();
  await drop();
  process.stdout.write(`PostgreSQL: ${BUILDS} builds claimed and completed by ${CLAIMERS} claimers: ${results.postgres.toFixed(0)} builds/s\n`);
}
writeFileSync(
  new URL("./results-queue.json", import.meta.url),
  JSON.stringify({ at: new Date().toISOString(), builds: BUILDS, claimers: CLAIMERS, buildsPerSecond: results }, null, 2),
);
