// Log volume: a run printing 200 MB through the real server (`node bin/kickoff.js start`,
// its own process: masking off, line scan for workflow commands, every byte stored in the
// database, tail kept for the check run) versus the same command writing to /dev/null; and
// the server's RSS growth meanwhile. Beside it, in the same run, what keeping 200 MB costs
// at the least on this machine: the command writing a file itself, and piping it into a
// Node process that throws it away.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CONFIG_PATH } from "../src/config/kickoff-config.js";
import { startGitHubStandIn } from "../test/support/github-stand-in.js";
import { kickoffYml, ZERO } from "../test/support/e2e.js";
import { pushPayload } from "../test/support/webhooks.js";
import { startKickoffServer } from "./lib/kickoff-server.js";

const BYTES = Number(process.env.BENCH_LOG_BYTES ?? 200_000_000);
const RUNS = Number(process.env.BENCH_LOG_RUNS ?? 3);
const line = "0123456789".repeat(10);
const command = `set +o pipefail; yes "${line}" | head -c ${BYTES}`;

function timeBash(script: string): number {
  const t = performance.now();
  execFileSync("bash", ["-c", script], { stdio: ["ignore", "ignore", "inherit"] });
  return performance.now() - t;
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const scratch = mkdtempSync(path.join(os.tmpdir(), "kickoff-bench-log-"));
const floors = { devNull: [] as number[], file: [] as number[], node: [] as number[] };
for (let i = 0; i < RUNS; i++) {
  floors.devNull.push(timeBash(`${command} > /dev/null`));
  floors.file.push(timeBash(`${command} > ${scratch}/out.log; rm ${scratch}/out.log`));
  floors.node.push(timeBash(`${command} | ${process.execPath} -e 'process.stdin.on("data", () => {})'`) - timeBash(`${process.execPath} -e 0`));
}
rmSync(scratch, { recursive: true, force: true });

const gh = await startGitHubStandIn();
const server = await startKickoffServer(gh, { KICKOFF_CONCURRENCY: "1" });
const repo = await gh.createRepo("acme/loud");
let before = ZERO;
const build = async (run: string, n: number) => {
  const sha = await repo.commit({ branch: "main", files: { [CONFIG_PATH]: kickoffYml({ loud: run }), "n.txt": String(n) } });
  await server.send("push", pushPayload(repo, { ref: "refs/heads/main", before, after: sha, commits: [{ id: sha, message: "m", modified: ["n.txt"] }] }));
  before = sha;
  return sha;
};
// Warm the mirror, then measure what a build costs without the output (same checkout).
for (let i = 0; i < 3; i++) await server.finishedBuild(await build(`run: "true"`, i));
const fixed: number[] = [];
for (let i = 0; i < 5; i++) {
  const b = await server.finishedBuild(await build(`run: "true"`, 100 + i));
  fixed.push(b.finished_at! - b.started_at!);
}
const loud: number[] = [];
let growth = 0;
let stored = 0;
for (let i = 0; i < RUNS; i++) {
  // Each run on its own: the previous one's 200 MB are checkpointed into the database
  // file (by the server's checkpoint thread) before the next starts.
  if (i > 0) await new Promise((r) => setTimeout(r, 4000));
  const baseRss = server.rss();
  let peakRss = baseRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, server.rss())), 20);
  const sha = await build(`run: |\n  ${command}`, 200 + i);
  const b = await server.finishedBuild(sha, 300_000);
  clearInterval(sampler);
  if (b.conclusion !== "success") throw new Error(`the loud build ended ${b.conclusion}`);
  loud.push(b.finished_at! - b.started_at!);
  growth = Math.max(growth, peakRss - baseRss);
  stored = Number(server.db.prepare<[number], { bytes: number }>("select sum(length(data)) as bytes from log_chunks where build_id = ?").get(b.id)!.bytes);
}
await server.stop();
await gh.close();

const out = {
  at: new Date().toISOString(),
  bytes: BYTES,
  runs: RUNS,
  devNullMs: Math.round(median(floors.devNull)),
  toFileMs: Math.round(median(floors.file)),
  intoNodeMs: Math.round(median(floors.node)),
  buildMs: median(loud),
  buildOfTrueMs: median(fixed),
  outputMs: median(loud) - median(fixed),
  rssGrowthMb: Number((growth / 1024 / 1024).toFixed(1)),
  storedBytes: stored,
};
const ratio = (ms: number) => (ms / out.devNullMs).toFixed(1);
process.stdout.write(
  [
    `${BYTES / 1e6} MB of output, median of ${RUNS}:`,
    `  the command into /dev/null: ${out.devNullMs} ms`,
    `  into a file of its own: ${out.toFileMs} ms (${ratio(out.toFileMs)}×); into a Node process that drops it: ${out.intoNodeMs} ms (${ratio(out.intoNodeMs)}×)`,
    `  through Kickoff, whole build: ${out.buildMs} ms; minus a build of "true" (${out.buildOfTrueMs} ms): ${out.outputMs} ms = ${ratio(out.outputMs)}× (goal ≤ 1.2×)`,
    `  server RSS growth ${out.rssGrowthMb} MB (goal ≤ 64 MB); stored ${out.storedBytes} bytes`,
  ].join("\n") + "\n",
);
writeFileSync(new URL("./results-log-volume.json", import.meta.url), JSON.stringify(out, null, 2));
