// Run by bench/runner-overhead.ts in a fresh Node process (plain `node`, compiled code), so
// neither figure carries the benchmark's own heap: execa running `true` directly, and
// Kickoff's process control (dist/runner/run-process.js) running the same.
import os from "node:os";
import { execa } from "execa";
import { runProcess } from "../../dist/runner/run-process.js";

const runs = Number(process.argv[2] ?? 100);
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.tmpdir() };

async function series(fn) {
  for (let i = 0; i < 5; i++) await fn();
  const out = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

const direct = await series(() => execa("true", { env, extendEnv: false }));
const controlled = await series(() => runProcess({ script: "true", cwd: os.tmpdir(), env, timeoutMs: 60_000, onOutput: () => {} }));
process.stdout.write(JSON.stringify({ direct, controlled }));
