// Runner overhead: a build of `true` end to end versus execa running `true` directly.
// - execa("true") and Kickoff's process control alone, both in a fresh Node process.
// - Whole builds through the real server (`node bin/kickoff.js start`, its own process):
//   claim → finished from the build's timestamps, with installation token, fetch of the new
//   commit over HTTP from the GitHub stand-in (this process), checkout, script, log, and
//   the completed check run queued. The stand-in's own time serving git requests during
//   each build is GitHub's share, reported beside it and subtracted for Kickoff's.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { CONFIG_PATH } from "../src/config/kickoff-config.js";
import { startGitHubStandIn } from "../test/support/github-stand-in.js";
import { kickoffYml, ZERO } from "../test/support/e2e.js";
import { pushPayload } from "../test/support/webhooks.js";
import { startKickoffServer } from "./lib/kickoff-server.js";
import { fmt, summary } from "./lib/stats.js";

const N = Number(process.env.BENCH_RUNS ?? 100);

const baseline = JSON.parse(execFileSync(process.execPath, [new URL("./lib/process-baseline.mjs", import.meta.url).pathname, String(N)], { encoding: "utf8" })) as {
  direct: number[];
  controlled: number[];
};
const direct = summary(baseline.direct);
const controlled = summary(baseline.controlled);

const gh = await startGitHubStandIn();
const server = await startKickoffServer(gh, { KICKOFF_CONCURRENCY: "1" });
const repo = await gh.createRepo("acme/overhead");
let before = ZERO;
const whole: number[] = [];
const github: number[] = [];
const kickoff: number[] = [];
for (let i = -5; i < N; i++) {
  const sha = await repo.commit({ branch: "main", files: { [CONFIG_PATH]: kickoffYml({ t: `run: "true"` }), "n.txt": String(i) } });
  const res = await server.send("push", pushPayload(repo, { ref: "refs/heads/main", before, after: sha, commits: [{ id: sha, message: "m", modified: ["n.txt"] }] }));
  if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
  before = sha;
  const build = await server.finishedBuild(sha);
  if (build.conclusion !== "success") throw new Error(`build ${build.id} ended ${build.conclusion}`);
  if (i < 0) continue; // warm-up: the first builds create the mirror and fill caches
  const ms = build.finished_at! - build.started_at!;
  const served = gh.requests
    .filter((r) => r.kind === "git" && r.at >= build.started_at! && r.answeredAt !== undefined && r.answeredAt <= build.finished_at!)
    .reduce((sum, r) => sum + (r.answeredAt! - r.at), 0);
  whole.push(ms);
  github.push(served);
  kickoff.push(ms - served);
}
const rssMb = server.rss() / 1024 / 1024;
await server.stop();
await gh.close();

const w = summary(whole);
const g = summary(github);
const k = summary(kickoff);
const lines = [
  `execa("true") directly (fresh Node process): ${fmt(direct)}`,
  `runProcess("true") (bash -eo pipefail, process group, merged output, timeout): ${fmt(controlled)}; overhead p50 ${(controlled.p50 - direct.p50).toFixed(1)} ms`,
  `whole build of "true" (claim → finished, kickoff start in its own process, RSS ${rssMb.toFixed(0)} MB): ${fmt(w)}; over execa p50 ${(w.p50 - direct.p50).toFixed(1)} ms`,
  `  of which the stand-in serving git (GitHub's share): ${fmt(g)}`,
  `  Kickoff's own (whole minus the stand-in's): ${fmt(k)}; over execa p50 ${(k.p50 - direct.p50).toFixed(1)} ms (goal ≤ 30 ms)`,
];
process.stdout.write(`${lines.join("\n")}\n`);
writeFileSync(
  new URL("./results-runner-overhead.json", import.meta.url),
  JSON.stringify({ at: new Date().toISOString(), runs: N, direct, controlled, whole: w, standInGit: g, kickoffOnly: k, serverRssMb: Math.round(rssMb) }, null, 2),
);
