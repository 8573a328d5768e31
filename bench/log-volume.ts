// Log volume: a run printing 200 MB, through Kickoff (masking off, line scan for
// workflow commands, log stored in the database, tail kept for the check run) versus the
// same command writing to /dev/null; and the server's RSS growth meanwhile.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { CONFIG_PATH } from "../src/config/kickoff-config.js";
import { startHarness } from "../test/support/kickoff-harness.js";
import { kickoffYml, ZERO } from "../test/support/e2e.js";
import { pushPayload } from "../test/support/webhooks.js";

const BYTES = Number(process.env.BENCH_LOG_BYTES ?? 200_000_000);
const line = "0123456789".repeat(10);
const command = `set +o pipefail; yes "${line}" | head -c ${BYTES}`;

const t = performance.now();
execFileSync("bash", ["-c", `${command} > /dev/null`]);
const baselineMs = performance.now() - t;

const h = await startHarness({ env: { KICKOFF_CONCURRENCY: "1" } });
const repo = await h.gh.createRepo("acme/loud");
const warm = await repo.commit({ branch: "main", files: { [CONFIG_PATH]: kickoffYml({ loud: `run: "true"` }) } });
await h.send("push", pushPayload(repo, { ref: "refs/heads/main", before: ZERO, after: warm }));
await h.gh.waitFor(() => h.gh.checkRuns(repo.fullName, warm).find((r) => r.status === "completed"), { timeoutMs: 30_000 });

const sha = await repo.commit({ branch: "main", files: { [CONFIG_PATH]: kickoffYml({ loud: `run: |\n  ${command}` }) } });
global.gc?.();
const baseRss = process.memoryUsage().rss;
let peakRss = baseRss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
await h.send("push", pushPayload(repo, { ref: "refs/heads/main", before: warm, after: sha, commits: [{ id: sha, message: "m", modified: [CONFIG_PATH] }] }));
let build;
for (;;) {
  build = await h.kickoff.store.db.selectFrom("builds").selectAll().where("sha", "=", sha).executeTakeFirst();
  if (build?.status === "done") break;
  await new Promise((r) => setTimeout(r, 20));
}
clearInterval(sampler);
const stored = await h.kickoff.store.db
  .selectFrom("log_chunks")
  .select((eb) => eb.fn.sum<number>(eb.fn("length", ["data"])).as("bytes"))
  .where("build_id", "=", build.id)
  .executeTakeFirstOrThrow();
await h.close();

// The build's own time includes its checkout; the run alone is in its log's last line.
const buildMs = build.finished_at! - build.started_at!;
const growthMb = (peakRss - baseRss) / 1024 / 1024;
const out = {
  at: new Date().toISOString(),
  bytes: BYTES,
  baselineMs: Math.round(baselineMs),
  buildMs,
  ratio: buildMs / baselineMs,
  rssGrowthMb: Number(growthMb.toFixed(1)),
  storedBytes: Number(stored.bytes),
  conclusion: build.conclusion,
};
process.stdout.write(
  `${BYTES / 1e6} MB of output: to /dev/null ${out.baselineMs} ms; through Kickoff (whole build incl. checkout) ${buildMs} ms = ${out.ratio.toFixed(1)}× (goal ≤ 1.2×); ` +
    `server RSS growth ${out.rssGrowthMb} MB (goal ≤ 64 MB); stored ${out.storedBytes} bytes; ${build.conclusion}\n`,
);
writeFileSync(new URL("./results-log-volume.json", import.meta.url), JSON.stringify(out, null, 2));
