import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { holdProcess, runProcess } from "../../src/runner/run-process.js";
import type { ProcessSpec } from "../../src/runner/run-process.js";
import { isGone, waitUntilGone } from "../support/processes.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kickoff-run-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(script: string, overrides: Partial<ProcessSpec> = {}) {
  const chunks: Buffer[] = [];
  const result = await runProcess({
    script,
    cwd: tmp,
    env: { PATH: "/usr/local/bin:/usr/bin:/bin" },
    timeoutMs: 30_000,
    onOutput: (chunk) => {
      chunks.push(chunk);
    },
    ...overrides,
  });
  return { result, output: Buffer.concat(chunks).toString("utf8") };
}

function pidFrom(file: string): number {
  return Number(readFileSync(path.join(tmp, file), "utf8").trim());
}

describe("runProcess", () => {
  it("reports exit codes", async () => {
    expect((await run("exit 0")).result).toMatchObject({ exitCode: 0, signal: null, timedOut: false, cancelled: false, error: null });
    expect((await run("exit 7")).result.exitCode).toBe(7);
  });

  it("runs with bash -e and pipefail", async () => {
    const errexit = await run("false; echo after");
    expect(errexit.result.exitCode).toBe(1);
    expect(errexit.output).not.toContain("after");
    expect((await run("false | true")).result.exitCode).toBe(1);
  });

  it("merges stderr and stdout in the order they were written", async () => {
    const { output } = await run("echo one; echo two >&2; echo three >&2; echo four; printf five >&2");
    expect(output).toBe("one\ntwo\nthree\nfour\nfive");
  });

  it("passes the script as data, not as shell text", async () => {
    const { output } = await run(`printf '%s\\n' "$0" "$1" '$(id)' ";exit 3"`);
    expect(output.split("\n").slice(2, 4)).toEqual(["$(id)", ";exit 3"]);
  });

  it("runs in cwd", async () => {
    const { output } = await run("pwd");
    expect(output.trim()).toBe(tmp);
  });

  it("uses only the given environment", async () => {
    process.env.SECRET_SHOULD_NOT_LEAK = "hunter2";
    try {
      const { output } = await run("env", { env: { PATH: "/usr/bin:/bin", ONLY_THIS: "yes" } });
      expect(output).toContain("ONLY_THIS=yes");
      expect(output).not.toContain("SECRET_SHOULD_NOT_LEAK");
      expect(output).not.toContain("hunter2");
    } finally {
      delete process.env.SECRET_SHOULD_NOT_LEAK;
    }
  });

  it("on timeout kills the whole process group, background jobs included", async () => {
    const { result, output } = await run("sleep 1000 & echo $! > bg.pid; echo started; sleep 1000", { timeoutMs: 500 });
    expect(result).toMatchObject({ timedOut: true, cancelled: false, exitCode: null, signal: "SIGTERM", error: null });
    expect(output).toBe("started\n");
    expect(await waitUntilGone(pidFrom("bg.pid"))).toBe(true);
  });

  it("escalates to SIGKILL when the script ignores SIGTERM", async () => {
    const { result } = await run("trap '' TERM; sleep 1000 & echo $! > stubborn.pid; while :; do sleep 0.05; done", {
      timeoutMs: 300,
      killGraceMs: 300,
    });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe("SIGKILL");
    expect(await waitUntilGone(pidFrom("stubborn.pid"))).toBe(true);
  });

  it("cancels when the signal aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const { result } = await run("sleep 1000 & echo $! > cancel.pid; sleep 1000", { signal: controller.signal });
    expect(result).toMatchObject({ cancelled: true, timedOut: false, exitCode: null });
    expect(await waitUntilGone(pidFrom("cancel.pid"))).toBe(true);
  });

  it("does not start at all when already aborted", async () => {
    const { result, output } = await run("echo ran", { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ cancelled: true, exitCode: null });
    expect(output).toBe("");
  });

  it("kills background jobs left behind by a successful script and resolves promptly", async () => {
    const startedAt = Date.now();
    const { result, output } = await run("sleep 1000 & echo $! > left.pid; echo done");
    expect(result.exitCode).toBe(0);
    expect(output).toBe("done\n");
    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(await waitUntilGone(pidFrom("left.pid"))).toBe(true);
  });

  it("stops waiting for output held open by a process that left the group", async () => {
    const startedAt = Date.now();
    const { result } = await run("setsid sh -c 'echo $$ > escaped.pid; exec sleep 30' & sleep 0.3; echo done");
    try {
      expect(result.exitCode).toBe(0);
      expect(Date.now() - startedAt).toBeLessThan(10_000);
    } finally {
      const pid = pidFrom("escaped.pid");
      if (!isGone(pid)) process.kill(pid, "SIGKILL");
    }
  });

  it("reports a script that cannot start as a value", async () => {
    const { result } = await run("true", { cwd: path.join(tmp, "does-not-exist") });
    expect(result.exitCode).toBeNull();
    expect(result.error).toMatch(/could not start the script/);
  });

  it("never quotes environment values in a start failure", async () => {
    const { result } = await run("true", { env: { PATH: "/usr/bin:/bin", TOKEN: "s3cret\0value" } });
    expect(result.error).toMatch(/could not start the script/);
    expect(result.error).not.toContain("s3cret");
  });

  it("reports a failing output handler as a value and still finishes the script", async () => {
    const result = await runProcess({
      script: "echo a; echo b > after.txt",
      cwd: tmp,
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 10_000,
      onOutput: () => {
        throw new Error("disk full");
      },
    });
    expect(result.exitCode).toBe(0);
    expect(result.error).toBe("output handler failed: disk full");
    expect(readFileSync(path.join(tmp, "after.txt"), "utf8")).toBe("b\n");
  });

  it("applies backpressure: one handler call at a time, every byte delivered", async () => {
    let active = 0;
    let maxActive = 0;
    let bytes = 0;
    const result = await runProcess({
      script: "head -c 4000000 /dev/zero",
      cwd: tmp,
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 30_000,
      onOutput: async (chunk) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((resolve) => setTimeout(resolve, 1));
        bytes += chunk.length;
        active--;
      },
    });
    expect(result.exitCode).toBe(0);
    expect(bytes).toBe(4_000_000);
    expect(maxActive).toBe(1);
  });
});

describe("holdProcess", () => {
  const spec = (dir: string, script: string) => ({ script, cwd: dir, env: { PATH: "/usr/bin:/bin", HOME: dir } });
  const runSpec = (chunks: Buffer[] = []) => ({ timeoutMs: 30_000, onOutput: (chunk: Buffer) => void chunks.push(chunk) });

  it("starts the process at once and the script only when released, in a directory made meanwhile", async () => {
    const dir = path.join(tmp, "held-later");
    let group = 0;
    const held = holdProcess({ ...spec(dir, "pwd; echo ran > marker"), onSpawn: (pid) => (group = pid) });
    expect(group).toBeGreaterThan(0);
    expect(isGone(group)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 200));
    mkdirSync(dir);
    expect(existsSync(path.join(dir, "marker"))).toBe(false);
    const chunks: Buffer[] = [];
    const result = await held.run(runSpec(chunks));
    expect(result).toMatchObject({ exitCode: 0, error: null });
    // The wait while held is not the script's time.
    expect(result.durationMs).toBeLessThan(200);
    expect(Buffer.concat(chunks).toString()).toBe(`${dir}\n`);
    expect(readFileSync(path.join(dir, "marker"), "utf8")).toBe("ran\n");
    expect(() => held.run(runSpec())).toThrow(/already run/);
  });

  it("ends a discarded process without running its script", async () => {
    const dir = mkdtempSync(path.join(tmp, "held-discarded-"));
    let group = 0;
    const held = holdProcess({ ...spec(dir, "echo ran > marker"), onSpawn: (pid) => (group = pid) });
    held.discard();
    expect(await waitUntilGone(group)).toBe(true);
    expect(existsSync(path.join(dir, "marker"))).toBe(false);
    expect(() => held.run(runSpec())).toThrow(/already discarded/);
  });

  it("does not run a script whose run was cancelled before its release", async () => {
    const dir = mkdtempSync(path.join(tmp, "held-cancelled-"));
    let group = 0;
    const held = holdProcess({ ...spec(dir, "echo ran > marker"), onSpawn: (pid) => (group = pid) });
    const result = await held.run({ ...runSpec(), signal: AbortSignal.abort() });
    expect(result).toMatchObject({ cancelled: true, exitCode: null });
    expect(await waitUntilGone(group)).toBe(true);
    expect(existsSync(path.join(dir, "marker"))).toBe(false);
  });

  it("reports a directory that is missing at the release as a value", async () => {
    const dir = path.join(tmp, "held-never-made");
    const held = holdProcess(spec(dir, "echo ran"));
    const result = await held.run(runSpec());
    expect(result.exitCode).toBeNull();
    expect(result.error).toBe(`could not start the script: cannot enter ${dir} (ENOENT)`);
  });

  it("never reads the shell's startup files, though its stdin is a socket until released", async () => {
    // bash reads ~/.bashrc when started with a socket on stdin (its rsh/ssh heuristic).
    const dir = mkdtempSync(path.join(tmp, "held-home-"));
    writeFileSync(path.join(dir, ".bashrc"), "echo FROM-BASHRC\n");
    writeFileSync(path.join(dir, ".bash_profile"), "echo FROM-PROFILE\n");
    const chunks: Buffer[] = [];
    const result = await holdProcess(spec(dir, "echo script")).run(runSpec(chunks));
    expect(result.exitCode).toBe(0);
    expect(Buffer.concat(chunks).toString()).toBe("script\n");
  });
});
