// Trigger latency: webhook sent → check run `in_progress` at the GitHub stand-in, for a
// repository whose mirror is warm; also → `completed` for a build of `true`. Kickoff is the
// real server (`node bin/kickoff.js start`, its own process), the stand-in runs in this one
// (GitHub is another machine in production).
import { writeFileSync } from "node:fs";
import { CONFIG_PATH } from "../src/config/kickoff-config.js";
import { startGitHubStandIn } from "../test/support/github-stand-in.js";
import { kickoffYml, ZERO } from "../test/support/e2e.js";
import { pushPayload } from "../test/support/webhooks.js";
import { startKickoffServer } from "./lib/kickoff-server.js";
import { fmt, summary } from "./lib/stats.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 100);
const gh = await startGitHubStandIn();
const server = await startKickoffServer(gh, { KICKOFF_CONCURRENCY: "2" });
const repo = await gh.createRepo("acme/latency");
const toInProgress: number[] = [];
const kickoffOnly: number[] = [];
const toCompleted: number[] = [];
let before = ZERO;
for (let i = -3; i < RUNS; i++) {
  // Commits are made before the clock starts: only Kickoff's part is measured.
  const sha = await repo.commit({ branch: "main", files: { [CONFIG_PATH]: kickoffYml({ test: `run: "true"` }), "n.txt": String(i) } });
  const payload = pushPayload(repo, { ref: "refs/heads/main", before, after: sha, commits: [{ id: sha, message: "m", modified: ["n.txt"] }] });
  before = sha;
  const t0 = Date.now();
  const res = await server.send("push", payload);
  if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
  const run = await gh.waitFor(() => gh.checkRuns(repo.fullName, sha).find((r) => r.status === "completed"), { timeoutMs: 30_000 });
  const patches = gh.requests.filter((r) => r.method === "PATCH" && r.path.endsWith(`/check-runs/${run.id}`));
  const started = patches.find((r) => (r.body as { status?: string }).status === "in_progress");
  const done = patches.find((r) => (r.body as { status?: string }).status === "completed");
  if (i < 0) continue; // the first builds warm the mirror and the token cache
  toInProgress.push(started!.at - t0);
  // The stand-in's own service time on the critical path (reading the config, creating
  // the check run: git subprocesses) is GitHub's latency, not Kickoff's.
  const served = gh.requests.filter((r) => r.kind === "api" && r.at >= t0 && r.at < started!.at && r.answeredAt !== undefined);
  kickoffOnly.push(started!.at - t0 - served.reduce((sum, r) => sum + (r.answeredAt! - r.at), 0));
  toCompleted.push(done!.at - t0);
}
await server.stop();
await gh.close();
const a = summary(toInProgress);
const k = summary(kickoffOnly);
const b = summary(toCompleted);
process.stdout.write(
  `webhook → in_progress at the stand-in: ${fmt(a)} (goal p50 ≤ 50 ms, p99 ≤ 200 ms)\n` +
    `  of which Kickoff (minus the stand-in's service time): ${fmt(k)}\n` +
    `webhook → completed (run: true): ${fmt(b)}\n`,
);
writeFileSync(
  new URL("./results-trigger-latency.json", import.meta.url),
  JSON.stringify({ at: new Date().toISOString(), runs: RUNS, toInProgress: a, kickoffOnly: k, toCompleted: b }, null, 2),
);
