import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { GitLauncher, LauncherUnavailable } from "../../src/runner/git-launcher.js";
import type { LaunchRequest, LaunchResult } from "../../src/runner/git-launcher.js";
import { isGone, waitUntilGone } from "../support/processes.js";
import { TestRepo, git } from "./support/git-repo.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kickoff-launcher-test-"));
const home = path.join(tmp, "home");
mkdirSync(home);
const launchers: GitLauncher[] = [];
afterAll(() => {
  for (const launcher of launchers) launcher.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

const BASE_ENV: Record<string, string> = {
  PATH: process.env.PATH || "/usr/local/bin:/usr/bin:/bin",
  LANG: "C",
  LC_ALL: "C",
  GIT_TERMINAL_PROMPT: "0",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  KICKOFF_BASE_PROBE: "from the base env",
};

/** The environment git gets when the tests run it directly, for reference outputs. */
const DIRECT_ENV: Record<string, string> = { ...BASE_ENV, HOME: home };

function direct(args: string[], cwd = tmp): string {
  return execFileSync("git", args, { cwd, env: DIRECT_ENV, encoding: "utf8" });
}

function request(args: string[], overrides: Partial<LaunchRequest> = {}): LaunchRequest {
  return { args, env: { HOME: home }, timeoutMs: 20_000, ...overrides };
}

async function waitFor<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Proc {
  pid: number;
  ppid: number;
  args: string[];
}

/** Every live (non-zombie) process with its parent and arguments, from /proc. */
function processes(): Proc[] {
  const found: Proc[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue;
      const args = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").slice(0, -1);
      found.push({ pid: Number(name), ppid: Number(fields[1]), args });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

function descendants(pid: number): Proc[] {
  const all = processes();
  const result: Proc[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        result.push(p);
        grew = true;
      }
    }
  }
  return result;
}

/** The helper bash of the launcher whose answer directory is `dir`, a child of this process. */
function helperOf(dir: string): Proc | undefined {
  return processes().find((p) => p.ppid === process.pid && p.args.includes("kickoff-git-launcher") && p.args.at(-1) === dir);
}

/** git processes started with `-c kickoff.marker=<marker>`. */
function gitsMarked(marker: string): Proc[] {
  return processes().filter((p) => p.args.includes(`kickoff.marker=${marker}`));
}

function ownAnswerDirs(): Set<string> {
  const prefix = `kickoff-git-${process.pid}-`;
  return new Set(
    readdirSync(os.tmpdir())
      .filter((name) => name.startsWith(prefix))
      .map((name) => path.join(os.tmpdir(), name)),
  );
}

/** A launcher of its own, its helper started, and the answer directory it made. */
async function startLauncher(baseEnv = BASE_ENV): Promise<{ launcher: GitLauncher; dir: string }> {
  const before = ownAnswerDirs();
  const launcher = new GitLauncher(baseEnv);
  launchers.push(launcher);
  const result = await launcher.run(request(["version"]));
  expect(result).toMatchObject({ code: 0, stderr: "", cancelled: false, timedOut: false });
  expect(result.stdout).toMatch(/^git version \d/);
  const created = [...ownAnswerDirs()].filter((dir) => !before.has(dir));
  expect(created).toHaveLength(1);
  return { launcher, dir: created[0]! };
}

let fifoCount = 0;
function fifo(): string {
  const file = path.join(tmp, `fifo-${++fifoCount}`);
  execFileSync("mkfifo", [file]);
  return file;
}

/**
 * A FIFO this process holds open for reading and writing but never writes to: git opens it
 * at once and then blocks reading it, so the process to kill is git itself.
 */
function heldFifo(): { file: string; release(): void } {
  const file = fifo();
  const fd = openSync(file, constants.O_RDWR | constants.O_NONBLOCK);
  return { file, release: () => closeSync(fd) };
}

describe("GitLauncher", () => {
  it("passes arguments to git exactly, never as shell text", async () => {
    const { launcher } = await startLauncher();
    const touched = [1, 2, 3, 4, 5, 6].map((n) => path.join(tmp, `pwned-${n}`));
    const weird = [
      "two words",
      "new\nline",
      "tab\there",
      "'single quotes'",
      '"double quotes"',
      `$(touch ${touched[0]})`,
      `\`touch ${touched[1]}\``,
      `; touch ${touched[2]}`,
      `| touch ${touched[3]}`,
      `&& touch ${touched[4]} &`,
      `$(touch ${touched[5]}`,
      "$HOME ${PATH} $0 $1 $@",
      "back\\slash\\",
      "*",
      "~",
      "ünïcødé ✓ 日本語 🚀",
      "-n",
      "--version",
      "--",
      "",
      "  leading and trailing  ",
      "x=y",
    ];
    // rev-parse --sq-quote echoes its arguments; git run directly is the reference.
    const echoed = await launcher.run(request(["rev-parse", "--sq-quote", ...weird]));
    expect(echoed).toMatchObject({ code: 0, stderr: "", cancelled: false, timedOut: false });
    expect(echoed.stdout).toBe(direct(["rev-parse", "--sq-quote", ...weird]));
    expect(echoed.stdout).toContain(" 'new\nline' ");

    // And as config values, each one comes back byte for byte.
    const values = await Promise.all(weird.map((value) => launcher.run(request(["-c", `kickoff.value=${value}`, "config", "--get", "kickoff.value"]))));
    expect(values.map((r) => r.code)).toEqual(weird.map(() => 0));
    expect(values.map((r) => r.stdout)).toEqual(weird.map((value) => `${value}\n`));

    for (const file of touched) expect(existsSync(file)).toBe(false);
  });

  it("gives git the base environment plus the request's, and nothing of this process", async () => {
    process.env.KICKOFF_LEAK_PROBE = "must not reach git";
    try {
      const { launcher } = await startLauncher();
      const result = await launcher.run(request(["-c", "alias.showenv=!env", "showenv", "-0"], { env: { HOME: home, KICKOFF_REQUEST_PROBE: "per request; $(no) `no`" } }));
      expect(result.code).toBe(0);
      const env = new Map(
        result.stdout
          .split("\0")
          .filter(Boolean)
          .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
      );
      // git puts its exec-path in front of PATH for an alias; the rest is the base env's.
      const { PATH, ...rest } = BASE_ENV;
      expect(env.get("PATH")!.endsWith(`:${PATH}`)).toBe(true);
      for (const [name, value] of Object.entries(rest)) expect(env.get(name)).toBe(value);
      expect(env.get("HOME")).toBe(home);
      expect(env.get("KICKOFF_REQUEST_PROBE")).toBe("per request; $(no) `no`");
      expect(env.has("KICKOFF_LEAK_PROBE")).toBe(false);
    } finally {
      delete process.env.KICKOFF_LEAK_PROBE;
    }
  });

  it("passes env entries to git, for that request only", async () => {
    const { launcher } = await startLauncher();
    const value = "spaces and\nnewline, 'quotes', $(touch nothing) ü";
    const config = { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "kickoff.probe", GIT_CONFIG_VALUE_0: value };
    const got = await launcher.run(request(["config", "--get", "kickoff.probe"], { env: { HOME: home, ...config } }));
    expect(got).toMatchObject({ code: 0, stdout: `${value}\n`, stderr: "" });

    // The next command, without them, does not see them.
    const after = await launcher.run(request(["config", "--get", "kickoff.probe"]));
    expect(after).toMatchObject({ code: 1, stdout: "", stderr: "" });

    // A request's entry wins over the base environment's.
    const overridden = await launcher.run(request(["-c", 'alias.probe=!printf %s "$KICKOFF_BASE_PROBE"', "probe"], { env: { HOME: home, KICKOFF_BASE_PROBE: "overridden" } }));
    expect(overridden).toMatchObject({ code: 0, stdout: "overridden" });
  });

  it("honours HOME per request", async () => {
    const { launcher } = await startLauncher();
    const homes = [1, 2, 3].map((n) => mkdtempSync(path.join(tmp, `home-${n} `)));
    const results = await Promise.all(
      homes.map((h) => launcher.run(request(["-c", "kickoff.path=~/sub", "config", "--type=path", "--get", "kickoff.path"], { env: { HOME: h } }))),
    );
    expect(results.map((r) => r.stdout)).toEqual(homes.map((h) => `${h}/sub\n`));
  });

  it("rejects an invalid environment name or a NUL byte before anything runs", async () => {
    const marker = path.join(tmp, "ran-anyway");
    const touch = ["-c", `alias.pwn=!touch '${marker}'`, "pwn"];
    const before = ownAnswerDirs();
    const launcher = new GitLauncher(BASE_ENV);
    launchers.push(launcher);
    const bad: LaunchRequest[] = [
      request(touch, { env: { HOME: home, "BAD-NAME": "x" } }),
      request(touch, { env: { HOME: home, "1X": "x" } }),
      request(touch, { env: { HOME: home, "": "x" } }),
      request(touch, { env: { HOME: home, "A=B": "x" } }),
      request([...touch, "a\0b"]),
      request(touch, { env: { HOME: home, X: "a\0b" } }),
      request(touch, { cwd: `${tmp}\0x` }),
      request(touch, { stdinFile: `${tmp}\0x` }),
    ];
    for (const r of bad) await expect(launcher.run(r)).rejects.toBeInstanceOf(LauncherUnavailable);
    await expect(launcher.run(request(["version"], { env: { HOME: home, "BAD-NAME": "x" } }))).rejects.toThrow(/invalid environment name BAD-NAME/);
    await expect(launcher.run(request(["version", "a\0b"]))).rejects.toThrow(/NUL/);
    // No helper was even started, and nothing ran.
    expect(ownAnswerDirs()).toEqual(before);
    expect(processes().filter((p) => p.ppid === process.pid && p.args.includes("kickoff-git-launcher") && !before.has(p.args.at(-1)!))).toEqual([]);
    expect(existsSync(marker)).toBe(false);
    // The same command, valid, does run: the marker test above could have failed.
    expect((await launcher.run(request(touch))).code).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });

  it("runs in the given cwd, whatever its name", async () => {
    const { launcher } = await startLauncher();
    const repo = TestRepo.create(path.join(tmp, "we ird\n'dir' $(x)"));
    repo.commit({ "a.txt": "a\n" });
    const sub = path.join(repo.dir, "sub dir");
    mkdirSync(sub);
    const top = await launcher.run(request(["rev-parse", "--show-toplevel"], { cwd: sub }));
    expect(top).toMatchObject({ code: 0, stdout: `${repo.dir}\n`, stderr: "" });
    const prefix = await launcher.run(request(["rev-parse", "--show-prefix"], { cwd: sub }));
    expect(prefix.stdout).toBe("sub dir/\n");
    // Without cwd, git runs where the helper does: this process's cwd.
    const here = await launcher.run(request(["-c", "alias.here=!pwd", "here"]));
    expect(here.stdout).toBe(`${process.cwd()}\n`);
  });

  it("fails a missing cwd with a non-zero code and a message, and keeps working", async () => {
    const { launcher } = await startLauncher();
    const missing = path.join(tmp, "no such dir");
    const result = await launcher.run(request(["rev-parse", "--show-toplevel"], { cwd: missing }));
    expect(result.code).toBe(128);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(missing);
    expect(result.stderr).toMatch(/No such file or directory/);
    expect(result).toMatchObject({ cancelled: false, timedOut: false });
    const next = await launcher.run(request(["rev-parse", "--sq-quote", "still here"]));
    expect(next).toMatchObject({ code: 0, stdout: " 'still here'\n" });
  });

  it("feeds stdinFile to git", async () => {
    const { launcher } = await startLauncher();
    const file = path.join(tmp, "input with spaces\nand newline.bin");
    const content = Buffer.concat([Buffer.from("some text\n\0binary\xff"), Buffer.alloc(300_000, 7)]);
    writeFileSync(file, content);
    const result = await launcher.run(request(["hash-object", "--stdin"], { stdinFile: file }));
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe(direct(["hash-object", file]));
    // Without stdinFile git reads /dev/null: the empty blob.
    const empty = await launcher.run(request(["hash-object", "--stdin"]));
    expect(empty).toMatchObject({ code: 0, stdout: direct(["hash-object", "/dev/null"]) });
  });

  it("keeps stdout and stderr apart and complete, also beyond 1 MB, and reports exit codes", async () => {
    const { launcher } = await startLauncher();
    const repo = TestRepo.create(path.join(tmp, "big"));
    repo.commit({ "a.txt": "a\n" });
    const big = path.join(tmp, "big.txt");
    const lines = Array.from({ length: 60_000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)} ü`);
    writeFileSync(big, `${lines.join("\n")}\n`);
    const blob = git(repo.dir, "hash-object", "-w", big);

    const shown = await launcher.run(request(["cat-file", "-p", blob], { cwd: repo.dir }));
    expect(shown.code).toBe(0);
    expect(shown.stderr).toBe("");
    expect(Buffer.byteLength(shown.stdout)).toBeGreaterThan(2_000_000);
    expect(shown.stdout).toBe(readFileSync(big, "utf8"));

    // Both streams at once, stderr over 1 MB.
    const missing = Array.from({ length: 6000 }, (_, i) => `missing-path-${i}-${"y".repeat(120)}`);
    const args = ["ls-files", "--error-unmatch", "a.txt", ...missing];
    const both = await launcher.run(request(args, { cwd: repo.dir }));
    const reference = spawnSync("git", args, { cwd: repo.dir, env: DIRECT_ENV, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    expect(reference.status).toBe(1);
    expect(both.code).toBe(1);
    expect(both.stdout).toBe("a.txt\n");
    expect(Buffer.byteLength(both.stderr)).toBeGreaterThan(1_000_000);
    expect(both.stderr).toBe(reference.stderr);

    const verify = await launcher.run(request(["rev-parse", "--verify", "nope"], { cwd: repo.dir }));
    expect(verify).toMatchObject({ code: 128, stdout: "", stderr: "fatal: Needed a single revision\n", cancelled: false, timedOut: false });
    const missingKey = await launcher.run(request(["config", "--get", "kickoff.none"]));
    expect(missingKey).toMatchObject({ code: 1, stdout: "", stderr: "" });
    const seven = await launcher.run(request(["-c", "alias.seven=!echo out; echo err >&2; exit 7", "seven"]));
    expect(seven).toMatchObject({ code: 7, stdout: "out\n", stderr: "err\n" });
  });

  it("gives each of 30 concurrent commands its own answer", async () => {
    const { launcher } = await startLauncher();
    const repo = TestRepo.create(path.join(tmp, "concurrent"));
    repo.commit({ "a.txt": "a\n" });
    const jobs = Array.from({ length: 30 }, (_, i) => {
      if (i % 3 === 0) {
        const file = path.join(tmp, `concurrent-${i}.txt`);
        writeFileSync(file, `content ${i}\n`.repeat(i * 1000 + 1));
        return { run: request(["hash-object", "--stdin"], { stdinFile: file }), expected: { code: 0, stdout: direct(["hash-object", file]), stderr: "" } };
      }
      if (i % 3 === 1) return { run: request(["rev-parse", "--sq-quote", `arg ${i}`, `'${i}'`]), expected: { code: 0, stdout: ` 'arg ${i}' ''\\''${i}'\\'''\n`, stderr: "" } };
      return {
        run: request(["rev-parse", "--verify", `missing-${i}`], { cwd: repo.dir }),
        expected: { code: 128, stdout: "", stderr: "fatal: Needed a single revision\n" },
      };
    });
    const results = await Promise.all(jobs.map((job) => launcher.run(job.run)));
    expect(results.map((r) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr }))).toEqual(jobs.map((job) => job.expected));
  });

  it("kills a git that blocks forever at timeoutMs", async () => {
    const { launcher, dir } = await startLauncher();
    const helper = helperOf(dir)!;
    expect(helper).toBeDefined();
    // Nobody ever opens this FIFO for writing: the command blocks opening its stdin.
    const started = Date.now();
    const result = await launcher.run(request(["hash-object", "--stdin"], { stdinFile: fifo(), timeoutMs: 300 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(result).toMatchObject({ code: null, stdout: "", timedOut: true, cancelled: false });
    // Nothing of it is left under the helper.
    await waitFor("the helper's children to end", () => descendants(helper.pid).length === 0);

    // git itself blocked reading: the same, and that git process is gone.
    const held = heldFifo();
    try {
      const marker = randomUUID();
      const pending = launcher.run(request(["-c", `kickoff.marker=${marker}`, "hash-object", "--stdin"], { stdinFile: held.file, timeoutMs: 400 }));
      const [gitProcess] = await waitFor("git to start", () => {
        const found = gitsMarked(marker);
        return found.length > 0 && found;
      });
      expect(gitProcess!.args[0]).toBe("git");
      const timedOut = await pending;
      expect(timedOut).toMatchObject({ code: null, stdout: "", timedOut: true, cancelled: false });
      expect(await waitUntilGone(gitProcess!.pid)).toBe(true);
    } finally {
      held.release();
    }
    expect((await launcher.run(request(["rev-parse", "--sq-quote", "after"]))).stdout).toBe(" 'after'\n");
  });

  it("kills git when the signal aborts, and when it was aborted already", async () => {
    const { launcher, dir } = await startLauncher();
    const helper = helperOf(dir)!;
    const held = heldFifo();
    try {
      const marker = randomUUID();
      const controller = new AbortController();
      const pending = launcher.run(request(["-c", `kickoff.marker=${marker}`, "hash-object", "--stdin"], { stdinFile: held.file, signal: controller.signal }));
      const [gitProcess] = await waitFor("git to start", () => {
        const found = gitsMarked(marker);
        return found.length > 0 && found;
      });
      controller.abort();
      expect(await pending).toMatchObject({ code: null, stdout: "", cancelled: true, timedOut: false });
      expect(await waitUntilGone(gitProcess!.pid)).toBe(true);

      // Aborted before the request: git is stopped as soon as it runs (its pid known).
      const aborted = new AbortController();
      aborted.abort();
      const started = Date.now();
      const early = await launcher.run(request(["-c", `kickoff.marker=${marker}-2`, "hash-object", "--stdin"], { stdinFile: held.file, signal: aborted.signal }));
      expect(early).toMatchObject({ code: null, stdout: "", cancelled: true, timedOut: false });
      expect(Date.now() - started).toBeLessThan(1500);
      await waitFor("git to be gone", () => gitsMarked(`${marker}-2`).length === 0);
      await waitFor("the helper's children to end", () => descendants(helper.pid).length === 0);
    } finally {
      held.release();
    }
    // A signal that never aborts changes nothing.
    const idle = new AbortController();
    expect(await launcher.run(request(["rev-parse", "--sq-quote", "fine"], { signal: idle.signal }))).toMatchObject({ code: 0, stdout: " 'fine'\n", cancelled: false });
  });

  it("when the helper dies, answers the commands in flight all the same and starts a new helper for the next", async () => {
    const { launcher, dir } = await startLauncher();
    const helper = helperOf(dir)!;
    expect(helper).toBeDefined();
    const held = heldFifo();
    let inFlight: Array<Promise<LaunchResult>> = [];
    try {
      const marker = randomUUID();
      inFlight = [1, 2, 3].map(() => launcher.run(request(["-c", `kickoff.marker=${marker}`, "hash-object", "--stdin"], { stdinFile: held.file })));
      await waitFor("three gits to start", () => gitsMarked(marker).length === 3);
      process.kill(helper.pid, "SIGKILL");
      // A new command meanwhile goes to a new helper, at once.
      const next = await launcher.run(request(["rev-parse", "--sq-quote", "next"]));
      expect(next).toMatchObject({ code: 0, stdout: " 'next'\n", stderr: "" });
      const replacement = helperOf(dir);
      expect(replacement).toBeDefined();
      expect(replacement!.pid).not.toBe(helper.pid);
      expect(isGone(helper.pid)).toBe(true);
    } finally {
      held.release();
    }
    // The dead helper's waiting subshells still report their commands' ends.
    const emptyBlob = execFileSync("git", ["hash-object", "--stdin"], { input: "", encoding: "utf8" });
    for (const result of await Promise.all(inFlight)) expect(result).toMatchObject({ code: 0, stdout: emptyBlob, stderr: "", cancelled: false, timedOut: false });
    await waitFor("the answer files to go", () => readdirSync(dir).length === 0);
  });

  it("fails what a dead helper can no longer answer, killing the git", async () => {
    const { launcher, dir } = await startLauncher();
    const helper = helperOf(dir)!;
    const held = heldFifo();
    try {
      const marker = randomUUID();
      const pending = launcher.run(request(["-c", `kickoff.marker=${marker}`, "hash-object", "--stdin"], { stdinFile: held.file }));
      const [g] = await waitFor("the git to start", () => {
        const found = gitsMarked(marker);
        return found.length === 1 && found;
      });
      // The helper and the subshell waiting for this git both die: nobody can answer.
      execFileSync("pkill", ["-KILL", "-P", String(helper.pid)]);
      process.kill(helper.pid, "SIGKILL");
      const result = await pending;
      expect(result).toMatchObject({ code: null, stdout: "", cancelled: false, timedOut: false });
      expect(result.stderr).toMatch(/^the git launcher exited \(SIGKILL\)/);
      expect(await waitUntilGone(g!.pid)).toBe(true);
    } finally {
      held.release();
    }
    await waitFor("the answer files to go", () => readdirSync(dir).length === 0);
  });

  it("reports a stdin file that cannot be opened in that command's own stderr, and nowhere else", async () => {
    const { launcher } = await startLauncher();
    const repo = TestRepo.create(path.join(tmp, "quiet repo"));
    repo.commit({ "a.txt": "a\n" });
    const missing = Array.from({ length: 20 }, (_, i) => path.join(tmp, "nowhere", `missing-${i}`));
    const results = await Promise.all(missing.map((file) => launcher.run(request(["hash-object", "--stdin"], { stdinFile: file }))));
    results.forEach((result, i) => {
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(missing[i]);
    });
    // A later failure without a word on stderr says nothing of those.
    const quiet = await launcher.run(request(["rev-parse", "--verify", "-q", "nope"], { cwd: repo.dir }));
    expect(quiet).toMatchObject({ code: 1, stdout: "", stderr: "" });
  });

  it("close() lets commands in flight finish, and the next command starts a new helper", async () => {
    const { launcher, dir } = await startLauncher();
    const helper = helperOf(dir)!;
    const held = heldFifo();
    let inFlight: Promise<LaunchResult>;
    try {
      const marker = randomUUID();
      inFlight = launcher.run(request(["-c", `kickoff.marker=${marker}`, "hash-object", "--stdin"], { stdinFile: held.file }));
      await waitFor("the git to start", () => gitsMarked(marker).length === 1);
      launcher.close();
      const next = await launcher.run(request(["rev-parse", "--sq-quote", "after close"]));
      expect(next).toMatchObject({ code: 0, stdout: " 'after close'\n" });
      expect(helperOf(dir)!.pid).not.toBe(helper.pid);
    } finally {
      held.release();
    }
    const emptyBlob = execFileSync("git", ["hash-object", "--stdin"], { input: "", encoding: "utf8" });
    expect(await inFlight!).toMatchObject({ code: 0, stdout: emptyBlob, stderr: "" });
    expect(await waitUntilGone(helper.pid)).toBe(true);
  });

  it("does not keep an idle process alive", async () => {
    const repo = TestRepo.create(path.join(tmp, "idle repo"));
    repo.commit({ "a.txt": "a\n" });
    const script = path.join(tmp, "idle-child.mts");
    const source = fileURLToPath(new URL("../../src/runner/git-command.ts", import.meta.url));
    writeFileSync(
      script,
      [
        `import { runGit } from ${JSON.stringify(source)};`,
        `const result = await runGit(["rev-parse", "--show-toplevel"], { cwd: ${JSON.stringify(repo.dir)}, home: ${JSON.stringify(home)}, timeoutMs: 10000 });`,
        `process.stdout.write(JSON.stringify(result));`,
      ].join("\n"),
    );
    const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: fileURLToPath(new URL("../..", import.meta.url)), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const timeout = new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 8000).unref());
    const outcome = await Promise.race([exited, timeout]);
    if (outcome === "still running") child.kill("SIGKILL");
    expect(outcome, stderr).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ ok: true, stdout: repo.dir });
    // At its exit it removed its answer directory, and its helper ended too.
    const prefix = `kickoff-git-${child.pid}-`;
    expect(readdirSync(os.tmpdir()).filter((name) => name.startsWith(prefix))).toEqual([]);
    await waitFor("the child's helper to end", () => !processes().some((p) => p.args.includes("kickoff-git-launcher") && p.args.at(-1)!.includes(prefix)));
  });

  it("removes answer files as it goes, and its directory on dispose()", async () => {
    const { launcher, dir } = await startLauncher();
    const repo = TestRepo.create(path.join(tmp, "answers"));
    repo.commit({ "a.txt": "a\n" });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => launcher.run(request(["ls-files", "--error-unmatch", "a.txt", `missing-${i}`], { cwd: repo.dir }))));
    for (const r of results) expect(r).toMatchObject({ code: 1, stdout: "a.txt\n" });
    expect(results[5]!.stderr).toContain("missing-5");
    await waitFor("the answer files to be removed", () => readdirSync(dir).length === 0);
    const helper = helperOf(dir)!;
    launcher.dispose();
    expect(existsSync(dir)).toBe(false);
    expect(await waitUntilGone(helper.pid)).toBe(true);
  });

  it("removes a dead process's answer directory when it starts, and leaves live ones alone", async () => {
    const dead = spawnSync("true");
    expect(dead.status).toBe(0);
    expect(isGone(dead.pid)).toBe(true);
    const live = spawn("sleep", ["60"], { stdio: "ignore" });
    const suffix = randomUUID().slice(0, 8);
    const deadDir = path.join(os.tmpdir(), `kickoff-git-${dead.pid}-${suffix}`);
    const liveDir = path.join(os.tmpdir(), `kickoff-git-${live.pid}-${suffix}`);
    const ownDir = path.join(os.tmpdir(), `kickoff-git-${process.pid}-${suffix}`);
    const oddDir = path.join(os.tmpdir(), `kickoff-git-notapid-${suffix}`);
    try {
      for (const d of [deadDir, liveDir, ownDir, oddDir]) {
        mkdirSync(d);
        writeFileSync(path.join(d, "1.1"), "left behind");
      }
      const { dir } = await startLauncher();
      expect(existsSync(deadDir)).toBe(false);
      expect(existsSync(path.join(liveDir, "1.1"))).toBe(true);
      expect(existsSync(path.join(ownDir, "1.1"))).toBe(true);
      expect(existsSync(path.join(oddDir, "1.1"))).toBe(true);
      expect(existsSync(dir)).toBe(true);
      // Other launchers of this process keep theirs.
      for (const other of ownAnswerDirs()) expect(existsSync(other)).toBe(true);
    } finally {
      live.kill("SIGKILL");
      for (const d of [deadDir, liveDir, ownDir, oddDir]) rmSync(d, { recursive: true, force: true });
    }
  });
});
