// Runner overhead: a build of `true` versus execa running `true` directly. Three layers:
// process control alone (runProcess), checkout from a warm mirror (a new commit to fetch
// each time, over a local path, so no HTTP), and a whole build through Kickoff (claim →
// finish, from the build's own timestamps) against the GitHub stand-in.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { CONFIG_PATH } from "../src/config/kickoff-config.js";
import { runProcess } from "../src/runner/run-process.js";
import { checkout, removeWorkspace } from "../src/runner/workspace.js";
import { startHarness } from "../test/support/kickoff-harness.js";
import { kickoffYml, ZERO } from "../test/support/e2e.js";
import { pushPayload } from "../test/support/webhooks.js";
import { fmt, summary } from "./lib/stats.js";

const N = Number(process.env.BENCH_RUNS ?? 100);
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.tmpdir() };

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function series(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 5; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < N; i++) out.push(await time(fn));
  return out;
}

const direct = summary(await series(() => execa("true", { env, extendEnv: false })));
const cwd = mkdtempSync(path.join(os.tmpdir(), "kickoff-bench-run-"));
const controlled = summary(await series(() => runProcess({ script: "true", cwd, env, timeoutMs: 60_000, onOutput: () => {} })));

// A source repository and a warm mirror: each iteration commits, then checks out.
const src = mkdtempSync(path.join(os.tmpdir(), "kickoff-bench-src-"));
const dataDir = mkdtempSync(path.join(os.tmpdir(), "kickoff-bench-data-"));
const g = (...args: string[]) => execFileSync("git", ["-C", src, "-c", "user.name=b", "-c", "user.email=b@b", ...args], { encoding: "utf8" }).trim();
g("init", "--quiet", "-b", "main");
let n = 0;
const commit = () => {
  writeFileSync(path.join(src, "n.txt"), String(n++));
  g("add", ".");
  g("commit", "--quiet", "-m", "n");
  return g("rev-parse", "HEAD");
};
// Warm the mirror first, then measure only the checkout itself.
for (let i = 0; i < 5; i++) {
  const dir = path.join(dataDir, "work", `w${i}`);
  const r = await checkout({ dataDir, repository: "bench/repo", cloneUrl: src, sha: commit(), ref: "refs/heads/main", token: null }, dir);
  if (!r.ok) throw new Error(r.error);
  await removeWorkspace(dir);
}
const checkoutOnly: number[] = [];
for (let i = 0; i < N; i++) {
  const sha = commit();
  const dir = path.join(dataDir, "work", `m${i}`);
  const t = performance.now();
  const r = await checkout({ dataDir, repository: "bench/repo", cloneUrl: src, sha, ref: "refs/heads/main", token: null }, dir);
  checkoutOnly.push(performance.now() - t);
  if (!r.ok) throw new Error(r.error);
  await removeWorkspace(dir);
}
const checkoutStats = summary(checkoutOnly);

// Whole builds through Kickoff, against the stand-in (git over HTTP).
const h = await startHarness({ env: { KICKOFF_CONCURRENCY: "1" } });
const repo = await h.gh.createRepo("acme/overhead");
let before = ZERO;
const builds: number[] = [];
for (let i = -3; i < Math.min(N, 50); i++) {
  const sha = await repo.commit({ branch: "main", files: { [CONFIG_PATH]: kickoffYml({ t: `run: "true"` }), "n.txt": String(i) } });
  await h.send("push", pushPayload(repo, { ref: "refs/heads/main", before, after: sha, commits: [{ id: sha, message: "m", modified: ["n.txt"] }] }));
  before = sha;
  for (;;) {
    const b = await h.kickoff.store.db.selectFrom("builds").selectAll().where("sha", "=", sha).executeTakeFirst();
    if (b?.status === "done") {
      if (i >= 0) builds.push(b.finished_at! - b.started_at!);
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
await h.close();
const whole = summary(builds);

const lines = [
  `execa("true") directly: ${fmt(direct)}`,
  `runProcess("true") (bash -eo pipefail, process group, merged output): ${fmt(controlled)}; overhead p50 ${(controlled.p50 - direct.p50).toFixed(1)} ms`,
  `checkout of a new commit from a warm mirror (local path): ${fmt(checkoutStats)}`,
  `whole build of "true" through Kickoff (claim → finished, git over HTTP from the stand-in): ${fmt(whole)}; over execa p50 ${(whole.p50 - direct.p50).toFixed(1)} ms`,
];
process.stdout.write(`${lines.join("\n")}\n`);
writeFileSync(
  new URL("./results-runner-overhead.json", import.meta.url),
  JSON.stringify({ at: new Date().toISOString(), direct, controlled, checkout: checkoutStats, whole }, null, 2),
);
