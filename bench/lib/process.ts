import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";

export interface Started {
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a server pinned to `core` and waits until its port accepts connections. */
export async function startPinned(core: number, command: string[], env: Record<string, string>, port: number): Promise<Started> {
  const child = spawn("taskset", ["-c", String(core), ...command], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "inherit"] });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command.join(" ")} exited with ${child.exitCode}`);
    if (await portOpen(port)) break;
    if (Date.now() > deadline) throw new Error(`${command.join(" ")} did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    stop: (signal = "SIGTERM") =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill(signal);
      }),
  };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}
