import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// Absolute, so the command can run in any directory (a test repository, an empty one).
const TSX = pathToFileURL(path.join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
const MAIN = pathToFileURL(path.join(ROOT, "src/cli/main.ts")).href;
const ENTRY = `import { main } from ${JSON.stringify(MAIN)}; process.exitCode = await main(process.argv.slice(1));`;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  done: Promise<CliResult>;
}

/**
 * Runs the real `kickoff` command (TypeScript through tsx) in `cwd` with exactly `env`
 * plus PATH, so nothing of the test runner's environment (or a developer's .env) leaks in.
 */
export function startKickoffCli(args: string[], o: { cwd: string; env?: Record<string, string> }): RunningCli {
  const child = spawn(process.execPath, ["--import", TSX, "--input-type=module", "-e", ENTRY, "--", ...args], {
    cwd: o.cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: o.cwd, ...o.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
  return { child, stdout: () => stdout, done };
}

export function kickoffCli(args: string[], o: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return startKickoffCli(args, o).done;
}
