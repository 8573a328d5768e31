import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ENTRY = 'import { main } from "./src/cli/main.ts"; process.exitCode = await main(process.argv.slice(1));';

export interface KickoffProcess {
  child: ChildProcess;
  /** The HTTP base URL, once `kickoff start` logged it (null for `kickoff worker`). */
  url: string | null;
  output(): string;
  exited: Promise<number | null>;
}

/** Runs the real `kickoff` command in a child process (TypeScript through tsx). */
export async function spawnKickoff(args: string[], env: Record<string, string>, waitForStart = true): Promise<KickoffProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", ENTRY, "--", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const proc: KickoffProcess = { child, url: null, output: () => out, exited };
  if (!waitForStart) return proc;
  // Generous: several processes may be starting at once on a busy machine.
  const deadline = Date.now() + 90_000;
  while (!/"msg":"Kickoff started"/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`kickoff did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const started = out.split("\n").find((l) => l.includes('"msg":"Kickoff started"'))!;
  proc.url = (JSON.parse(started) as { url: string | null }).url;
  return proc;
}
