import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { GitHubStandIn } from "./github-stand-in.js";
import { standInEnv } from "./kickoff-harness.js";
import { type KickoffProcess, spawnKickoff } from "./kickoff-process.js";

export interface Machine extends KickoffProcess {
  /** This machine's KICKOFF_DATA_DIR (mirrors, workspaces). */
  dataDir: string;
  pid: number;
}

export interface Machines {
  /** Starts `kickoff <args>` as a new machine: its own process and data directory. */
  start(args: string[], env?: Record<string, string>): Promise<Machine>;
  /** The machine whose process has this pid (worker ids carry it). */
  byPid(pid: number): Machine | undefined;
  close(): Promise<void>;
}

/**
 * Real `kickoff` processes sharing one database (DATABASE_URL) and one GitHub stand-in,
 * each with a data directory of its own, as separate machines would have.
 */
export function machines(gh: GitHubStandIn, databaseUrl: string, common: Record<string, string> = {}): Machines {
  const root = mkdtempSync(path.join(os.tmpdir(), "kickoff-machines-"));
  const all: Machine[] = [];
  return {
    async start(args, env = {}) {
      const dataDir = mkdtempSync(path.join(root, `${args[0]}-`));
      const proc = await spawnKickoff(args, standInEnv(gh, dataDir, { DATABASE_URL: databaseUrl, LOG_LEVEL: "info", ...common, ...env }));
      const machine = Object.assign(proc, { dataDir, pid: proc.child.pid ?? -1 });
      all.push(machine);
      return machine;
    },
    byPid: (pid) => all.find((m) => m.pid === pid),
    async close() {
      for (const m of all) {
        if (m.child.exitCode === null && m.child.signalCode === null) {
          m.child.kill("SIGCONT");
          m.child.kill("SIGKILL");
        }
      }
      await Promise.all(all.map((m) => m.exited));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
