import { execFileSync } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGit } from "../../src/runner/git-command.js";
import type { GitOptions } from "../../src/runner/git-command.js";
import { waitUntilGone } from "../support/processes.js";
import { TestRepo, git } from "./support/git-repo.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kickoff-git-command-test-"));
const home = path.join(tmp, "home");
mkdirSync(home);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let repo: TestRepo;
let twoNewlines: string;
let noNewline: string;
beforeAll(() => {
  repo = TestRepo.create(path.join(tmp, "repo"));
  repo.commit({ "a.txt": "a\n" });
  writeFileSync(path.join(tmp, "two-newlines"), "two\n\n");
  writeFileSync(path.join(tmp, "no-newline"), "none");
  twoNewlines = git(repo.dir, "hash-object", "-w", path.join(tmp, "two-newlines"));
  noNewline = git(repo.dir, "hash-object", "-w", path.join(tmp, "no-newline"));
});

const DIRECT_ENV = { PATH: process.env.PATH || "/usr/bin:/bin", HOME: home, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };

function options(overrides: Partial<GitOptions> = {}): GitOptions {
  return { home, timeoutMs: 20_000, ...overrides };
}

/** git's blob id for `content`, computed here rather than by git. */
function blobId(content: Buffer): string {
  return createHash("sha1")
    .update(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]))
    .digest("hex");
}

async function* chunks(parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const part of parts) {
    await new Promise((resolve) => setImmediate(resolve));
    yield part;
  }
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

/** The live git process started with `-c kickoff.marker=<marker>`, and its parent. */
function gitMarked(marker: string): { pid: number; ppid: number } | null {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").includes(`kickoff.marker=${marker}`)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z") return { pid: Number(name), ppid: Number(fields[1]) };
    } catch {
      // Gone meanwhile.
    }
  }
  return null;
}

/** Stdin that yields `first`, then nothing until `release()`: git blocks reading it. */
function stalledStdin(first: Uint8Array): { stdin: AsyncIterable<Uint8Array>; release(): void; started(): boolean } {
  let release = () => undefined as void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started = false;
  async function* generate(): AsyncIterable<Uint8Array> {
    started = true;
    yield first;
    await gate;
    yield Buffer.from("more");
  }
  return { stdin: generate(), release: () => release(), started: () => started };
}

/** What git itself adds to the environment of an alias (PATH it extends, with its exec-path). */
const ADDED_BY_GIT = ["PATH", "GIT_CONFIG_PARAMETERS", "GIT_EXEC_PATH", "GIT_PREFIX"];

function parseEnv(output: string): Map<string, string> {
  return new Map(
    output
      .split("\0")
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
}

// The same behaviour whether git is started by the launcher or, with stdin to stream, directly.
const paths = [
  // The launcher's bash adds PWD and SHLVL to what it exports.
  { name: "through the launcher", stdin: (): Partial<GitOptions> => ({}), addedByBash: ["PWD", "SHLVL", "OLDPWD", "_"] },
  { name: "spawned directly (stdin)", stdin: (): Partial<GitOptions> => ({ stdin: chunks([]) }), addedByBash: [] },
];

describe("runGit", () => {
  for (const via of paths) {
    describe(via.name, () => {
      it("returns stdout less one trailing newline", async () => {
        expect(await runGit(["cat-file", "-p", twoNewlines], options({ cwd: repo.dir, ...via.stdin() }))).toEqual({ ok: true, stdout: "two\n" });
        expect(await runGit(["cat-file", "-p", noNewline], options({ cwd: repo.dir, ...via.stdin() }))).toEqual({ ok: true, stdout: "none" });
        expect(await runGit(["rev-parse", "--show-toplevel"], options({ cwd: repo.dir, ...via.stdin() }))).toEqual({ ok: true, stdout: repo.dir });
      });

      it("returns a failure with git's exit code and message", async () => {
        expect(await runGit(["rev-parse", "--verify", "nope"], options({ cwd: repo.dir, ...via.stdin() }))).toEqual({
          ok: false,
          exitCode: 128,
          stderr: "fatal: Needed a single revision\n",
          cancelled: false,
          timedOut: false,
        });
        const usage = await runGit(["-c", "alias.seven=!exit 7", "seven"], options({ ...via.stdin() }));
        expect(usage).toEqual({ ok: false, exitCode: 7, stderr: "git exited with 7", cancelled: false, timedOut: false });
      });

      it("gives git an environment built from scratch, with HOME and the extra env", async () => {
        process.env.KICKOFF_LEAK_PROBE = "must not reach git";
        try {
          const result = await runGit(["-c", "alias.showenv=!env", "showenv", "-0"], options({ env: { KICKOFF_EXTRA: "extra; $(x)" }, ...via.stdin() }));
          expect(result.ok).toBe(true);
          const env = parseEnv(result.ok ? result.stdout : "");
          expect(Object.fromEntries([...env].filter(([name]) => ![...ADDED_BY_GIT, ...via.addedByBash].includes(name)))).toEqual({
            HOME: home,
            LANG: "C",
            LC_ALL: "C",
            GIT_TERMINAL_PROMPT: "0",
            GCM_INTERACTIVE: "never",
            GIT_CONFIG_NOSYSTEM: "1",
            GIT_CONFIG_GLOBAL: "/dev/null",
            GIT_ALLOW_PROTOCOL: "file:http:https",
            KICKOFF_EXTRA: "extra; $(x)",
          });
          expect(env.get("PATH")!.endsWith(`:${process.env.PATH}`)).toBe(true);
        } finally {
          delete process.env.KICKOFF_LEAK_PROBE;
        }
      });
    });
  }

  it("reads stdinFile", async () => {
    const file = path.join(tmp, "stdin file.bin");
    const content = randomBytes(200_000);
    writeFileSync(file, content);
    expect(await runGit(["hash-object", "--stdin"], options({ stdinFile: file }))).toEqual({ ok: true, stdout: blobId(content) });
  });

  it("fails, without throwing, on a stdinFile that does not exist", async () => {
    const missing = path.join(tmp, "no such stdin");
    const result = await runGit(["hash-object", "--stdin"], options({ stdinFile: missing }));
    expect(result).toMatchObject({ ok: false, exitCode: 1, cancelled: false, timedOut: false });
    expect(result.ok ? "" : result.stderr).toContain(missing);
  });

  it("returns a failure, without throwing or leaking a file descriptor, for a NUL byte spawn refuses", async () => {
    const file = path.join(tmp, "stdin for nul");
    writeFileSync(file, "x");
    const fds = () => readdirSync("/proc/self/fd").length;
    const before = fds();
    for (let i = 0; i < 20; i++) {
      const result = await runGit(["rev-parse", "a\0b"], options({ stdinFile: file, env: { X: "fine" } }));
      expect(result).toMatchObject({ ok: false, exitCode: null });
      expect(result.ok ? "" : result.stderr).toMatch(/^could not start git: .*null bytes/);
    }
    expect(fds()).toBeLessThanOrEqual(before + 2);
  });

  it("falls back to a direct spawn for what the launcher cannot take", async () => {
    // A NUL in stdinFile: the launcher refuses it, open() then fails in a result.
    const nul = await runGit(["hash-object", "--stdin"], options({ stdinFile: `${tmp}/a\0b` }));
    expect(nul).toMatchObject({ ok: false, exitCode: null, cancelled: false, timedOut: false });
    expect(nul.ok ? "" : nul.stderr).toMatch(/^cannot read .*a\0b/);
    // An environment name bash cannot export: spawn passes it all the same.
    const odd = await runGit(["-c", "alias.showenv=!env", "showenv", "-0"], options({ env: { "ODD-NAME": "odd value" } }));
    expect(odd.ok).toBe(true);
    expect(parseEnv(odd.ok ? odd.stdout : "").get("ODD-NAME")).toBe("odd value");
  });

  it("streams stdin chunks into git, spawned directly", async () => {
    const marker = randomUUID();
    const parts = [Buffer.from("first chunk\n"), randomBytes(2 * 1024 * 1024), Buffer.from(""), Buffer.from("last chunk, no newline")];
    let parent: number | null = null;
    let yielded = 0;
    async function* stdin(): AsyncIterable<Uint8Array> {
      yield parts[0]!;
      yielded++;
      // git runs meanwhile, a child of this very process: no launcher in between.
      parent = (await waitFor("git to start", () => gitMarked(marker))).ppid;
      for (const part of parts.slice(1)) {
        yield part;
        yielded++;
      }
    }
    const result = await runGit(["-c", `kickoff.marker=${marker}`, "hash-object", "--stdin"], options({ stdin: stdin() }));
    const content = Buffer.concat(parts);
    expect(result).toEqual({ ok: true, stdout: blobId(content) });
    expect(result).toEqual({ ok: true, stdout: execFileSync("git", ["hash-object", "--stdin"], { input: content, env: DIRECT_ENV, encoding: "utf8" }).trim() });
    expect(yielded).toBe(parts.length);
    expect(parent).toBe(process.pid);
  });

  it("returns a failure when git exits before reading all of a large stdin", async () => {
    const notRepo = path.join(tmp, "not a repo");
    mkdirSync(notRepo);
    const chunk = Buffer.alloc(64 * 1024, "x");
    const total = 320; // 20 MB
    let yielded = 0;
    async function* stdin(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < total; i++) {
        yielded++;
        yield chunk;
      }
    }
    const problems: unknown[] = [];
    const record = (error: unknown) => problems.push(error);
    process.on("uncaughtException", record);
    process.on("unhandledRejection", record);
    try {
      const result = await runGit(["rev-parse", "HEAD"], options({ cwd: notRepo, env: { GIT_CEILING_DIRECTORIES: tmp }, stdin: stdin() }));
      expect(result).toMatchObject({ ok: false, exitCode: 128, cancelled: false, timedOut: false });
      expect(result.ok ? "" : result.stderr).toMatch(/^fatal: not a git repository/);
      // Let any late EPIPE surface before looking.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(problems).toEqual([]);
      // It stopped taking what git would never read.
      expect(yielded).toBeLessThan(total);
    } finally {
      process.off("uncaughtException", record);
      process.off("unhandledRejection", record);
    }
    expect(await runGit(["rev-parse", "--sq-quote", "still fine"], options({ stdin: chunks([Buffer.from("x")]) }))).toEqual({ ok: true, stdout: " 'still fine'" });
  });

  it("kills a direct git at timeoutMs", async () => {
    const marker = randomUUID();
    const input = stalledStdin(Buffer.from("some"));
    try {
      const started = Date.now();
      const pending = runGit(["-c", `kickoff.marker=${marker}`, "hash-object", "--stdin"], options({ stdin: input.stdin, timeoutMs: 400 }));
      const gitProcess = await waitFor("git to start", () => gitMarked(marker));
      expect(gitProcess.ppid).toBe(process.pid);
      expect(await pending).toEqual({ ok: false, exitCode: null, cancelled: false, timedOut: true, stderr: "git exited with a signal" });
      expect(Date.now() - started).toBeGreaterThanOrEqual(390);
      expect(await waitUntilGone(gitProcess.pid)).toBe(true);
    } finally {
      input.release();
    }
  });

  it("kills a direct git when the signal aborts", async () => {
    const marker = randomUUID();
    const input = stalledStdin(Buffer.from("some"));
    const controller = new AbortController();
    try {
      const pending = runGit(["-c", `kickoff.marker=${marker}`, "hash-object", "--stdin"], options({ stdin: input.stdin, signal: controller.signal }));
      const gitProcess = await waitFor("git to start", () => gitMarked(marker));
      const aborted = Date.now();
      controller.abort();
      expect(await pending).toEqual({ ok: false, exitCode: null, cancelled: true, timedOut: false, stderr: "git exited with a signal" });
      expect(Date.now() - aborted).toBeLessThan(1500);
      expect(await waitUntilGone(gitProcess.pid)).toBe(true);
    } finally {
      input.release();
    }
  });

  it("runs nothing when the signal was aborted already", async () => {
    const controller = new AbortController();
    controller.abort();
    const input = stalledStdin(Buffer.from("some"));
    const cancelled = { ok: false, exitCode: null, cancelled: true, timedOut: false, stderr: "" };
    expect(await runGit(["hash-object", "--stdin"], options({ stdin: input.stdin, signal: controller.signal }))).toEqual(cancelled);
    expect(input.started()).toBe(false);
    const marker = path.join(tmp, "ran-anyway");
    expect(await runGit(["-c", `alias.pwn=!touch '${marker}'`, "pwn"], options({ signal: controller.signal }))).toEqual(cancelled);
    expect(existsSync(marker)).toBe(false);
    // The same command, not cancelled, does run: the check above could have failed.
    expect(await runGit(["-c", `alias.pwn=!touch '${marker}'`, "pwn"], options())).toEqual({ ok: true, stdout: "" });
    expect(existsSync(marker)).toBe(true);
  });
});
