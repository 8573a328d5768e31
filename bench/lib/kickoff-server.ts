// The real Kickoff server for a benchmark: `node bin/kickoff.js start` (the compiled code
// `npm start` runs) in a process of its own, talking to the GitHub stand-in in the
// benchmark's process, as production talks to GitHub on another machine. The benchmark
// reads build timestamps from the server's SQLite file (read-only).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import type { GitHubStandIn } from "../../test/support/github-stand-in.js";
import { standInEnv, WEBHOOK_SECRET } from "../../test/support/kickoff-harness.js";
import { sendWebhook, type SentWebhook } from "../../test/support/webhooks.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface BuildRow {
  id: number;
  sha: string;
  status: string;
  conclusion: string | null;
  started_at: number | null;
  finished_at: number | null;
}

export interface KickoffServer {
  url: string;
  pid: number;
  dataDir: string;
  send(event: string, payload: unknown): Promise<SentWebhook>;
  /** The build of a commit once it is done (polls the database every few milliseconds). */
  finishedBuild(sha: string, timeoutMs?: number): Promise<BuildRow>;
  /** Resident memory of the server process, in bytes (from /proc). */
  rss(): number;
  db: Database.Database;
  stop(): Promise<void>;
}

export async function startKickoffServer(gh: GitHubStandIn, env: Record<string, string> = {}): Promise<KickoffServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "kickoff-bench-"));
  const child: ChildProcess = spawn(
    process.execPath,
    [...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), path.join(ROOT, "bin/kickoff.js"), "start"],
    {
      cwd: dataDir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dataDir, NODE_ENV: "production", ...standInEnv(gh, dataDir, { LOG_LEVEL: "info", ...env }) },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    // Only the start line matters; the rest is dropped so a long benchmark holds no log.
    if (!out.includes('"msg":"Kickoff started"')) out += d.toString();
  });
  const deadline = Date.now() + 60_000;
  while (!out.includes('"msg":"Kickoff started"')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`kickoff did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const started = out.split("\n").find((l) => l.includes('"msg":"Kickoff started"'))!;
  const url = (JSON.parse(started) as { url: string }).url;
  const db = new Database(path.join(dataDir, "kickoff.db"), { readonly: true, fileMustExist: true });
  const bySha = db.prepare<[string], BuildRow>("select id, sha, status, conclusion, started_at, finished_at from builds where sha = ? order by id desc limit 1");
  return {
    url,
    pid: child.pid!,
    dataDir,
    db,
    send: (event, payload) => sendWebhook(`${url}/api/github/webhooks`, { event, payload, secret: WEBHOOK_SECRET }),
    async finishedBuild(sha, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const row = bySha.get(sha);
        if (row?.status === "done") return row;
        if (Date.now() > until) throw new Error(`build of ${sha} not done after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 2));
      }
    },
    rss: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0) * 1024,
    async stop() {
      db.close();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
