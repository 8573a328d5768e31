// Ingress: signed push deliveries acknowledged per second, and latency, for Kickoff and
// its peers in one run. Server on core 0, wrk on core 1; every request has its own
// delivery id; a run with any non-2xx answer is invalid.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { sign } from "@octokit/webhooks-methods";
import { pushBody } from "../lib/payload.js";
import { startPinned } from "../lib/process.js";
import { type WrkResult, wrk } from "../lib/wrk.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const SECRET = "bench-secret";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const dir = mkdtempSync(path.join(os.tmpdir(), "kickoff-bench-ingress-"));
const body = pushBody();
const bodyFile = path.join(dir, "push.json");
writeFileSync(bodyFile, body);
const signature = await sign(SECRET, body);
const wrkEnv = { BENCH_BODY_FILE: bodyFile, BENCH_SIGNATURE: signature };
const script = path.join(here, "delivery.lua");
const tsx = [process.execPath, "--import", "tsx"];

interface Target {
  name: string;
  command: string[];
  env: Record<string, string>;
  path: string;
  after?: (total2xx: number) => void;
}

const hooks = (command: string) => {
  const file = path.join(dir, `hooks-${command ? "cmd" : "nocmd"}.json`);
  writeFileSync(
    file,
    JSON.stringify([
      {
        id: "push",
        "execute-command": command,
        "response-message": "ok",
        "trigger-rule": { match: { type: "payload-hmac-sha256", secret: SECRET, parameter: { source: "header", name: "X-Hub-Signature-256" } } },
      },
    ]),
  );
  return file;
};

const kickoffData = path.join(dir, "kickoff");
const targets: Target[] = [
  {
    name: "Kickoff (verify + SQLite store + 2xx)",
    command: [...tsx, path.join(here, "kickoff-intake.ts")],
    env: { WEBHOOK_SECRET: SECRET, KICKOFF_DATA_DIR: kickoffData, NODE_ENV: "production" },
    path: "/api/github/webhooks",
  },
  {
    name: "Probot 14, empty push handler",
    command: [...tsx, path.join(here, "probot-app.ts")],
    env: { WEBHOOK_SECRET: SECRET, LOG_LEVEL: "info", NODE_ENV: "production" },
    path: "/api/github/webhooks",
  },
  { name: "adnanh/webhook 2.8, HMAC rule, no command", command: ["webhook", "-hooks", hooks(""), "-ip", "127.0.0.1", "-port", "PORT"], env: {}, path: "/hooks/push" },
  { name: "adnanh/webhook 2.8, HMAC rule, /bin/true", command: ["webhook", "-hooks", hooks("/bin/true"), "-ip", "127.0.0.1", "-port", "PORT"], env: {}, path: "/hooks/push" },
];

const results: Array<{ name: string; result: WrkResult; valid: boolean; note: string }> = [];
let port = 38_000 + Math.floor(Math.random() * 1000);
// BENCH_ONLY=Kickoff (a name prefix) measures just that server, for quick comparisons.
for (const t of targets.filter((x) => !process.env.BENCH_ONLY || x.name.startsWith(process.env.BENCH_ONLY))) {
  port += 1;
  const command = t.command.map((c) => (c === "PORT" ? String(port) : c));
  const server = await startPinned(0, command, { ...t.env, PORT: String(port) }, port);
  const url = `http://127.0.0.1:${port}${t.path}`;
  const warm = wrk({ url, seconds: 3, connections: CONNECTIONS, script, env: wrkEnv, core: 1 });
  const result = wrk({ url, seconds: SECONDS, connections: CONNECTIONS, script, env: wrkEnv, core: 1 });
  let note = "";
  if (t.name.startsWith("Kickoff")) {
    // Durability: SIGKILL right after the last answer, then count what was stored.
    await server.stop("SIGKILL");
    const db = new Database(path.join(kickoffData, "kickoff.db"), { readonly: true });
    const stored = (db.prepare("select count(*) as n from deliveries").get() as { n: number }).n;
    db.close();
    const answered = warm.requests - warm.non2xx + result.requests - result.non2xx;
    note = `stored ${stored} of ${answered} answered 2xx after SIGKILL${stored >= answered ? "" : " — LOST DELIVERIES"}`;
  } else await server.stop();
  const valid = result.non2xx === 0 && warm.non2xx === 0 && result.socketErrors === null;
  results.push({ name: t.name, result, valid, note });
  process.stdout.write(
    `${t.name}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50ms.toFixed(2)} ms, p99 ${result.p99ms.toFixed(2)} ms${valid ? "" : ` INVALID (non-2xx ${result.non2xx}, socket errors ${result.socketErrors})`} ${note}\n`,
  );
}

const kickoff = results[0]!;
const bestPeer = results
  .slice(1)
  .filter((r) => r.valid)
  .sort((a, b) => b.result.requestsPerSecond - a.result.requestsPerSecond)[0];
const ratio = bestPeer ? kickoff.result.requestsPerSecond / bestPeer.result.requestsPerSecond : Number.NaN;
process.stdout.write(`\nKickoff / fastest valid peer (${bestPeer?.name ?? "none"}): ${ratio.toFixed(2)}× (goal ≥ 1.2×)\n`);
writeFileSync(
  path.join(root, "bench", "results-ingress.json"),
  JSON.stringify({ at: new Date().toISOString(), seconds: SECONDS, connections: CONNECTIONS, bodyBytes: body.length, results, ratio }, null, 2),
);
