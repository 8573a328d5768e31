import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkout, removeWorkspace } from "../../src/runner/workspace.js";
import type { CheckoutSpec } from "../../src/runner/workspace.js";
import { TestRepo, git } from "./support/git-repo.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kickoff-ws-"));
let origin: TestRepo;
let first: string;
let workCount = 0;

beforeAll(() => {
  origin = TestRepo.create(path.join(tmp, "origin"));
  first = origin.commit({ "README.md": "# shop\n", "src/app.txt": "v1\n" }, "first");
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function freshDataDir(): string {
  return mkdtempSync(path.join(tmp, "data-"));
}

function nextWorkDir(): string {
  return path.join(tmp, `work-${++workCount}`);
}

function spec(dataDir: string, overrides: Partial<CheckoutSpec> = {}): CheckoutSpec {
  return { dataDir, repository: "acme/shop", cloneUrl: origin.dir, sha: first, ref: "refs/heads/main", token: null, ...overrides };
}

function mirrorOf(dataDir: string): string {
  return path.join(dataDir, "mirrors", "acme", "shop.git");
}

describe("checkout", () => {
  it("checks out the exact commit, detached, with a token-free origin", async () => {
    const dataDir = freshDataDir();
    const workDir = nextWorkDir();
    const result = await checkout(spec(dataDir, { token: "ghs_secrettoken123" }), workDir);
    expect(result).toMatchObject({ ok: true, dir: workDir });
    expect(readFileSync(path.join(workDir, "src/app.txt"), "utf8")).toBe("v1\n");
    expect(git(workDir, "rev-parse", "HEAD")).toBe(first);
    expect(git(workDir, "status", "--porcelain", "--branch")).toBe("## HEAD (no branch)");
    expect(git(workDir, "remote", "get-url", "origin")).toBe(origin.dir);
    expect(existsSync(path.join(mirrorOf(dataDir), "HEAD"))).toBe(true);
    // The token is on disk nowhere: not in the mirror, not in the work tree's .git.
    for (const config of [path.join(mirrorOf(dataDir), "config"), path.join(workDir, ".git", "config")]) {
      expect(readFileSync(config, "utf8")).not.toContain("ghs_secrettoken123");
    }
  });

  it("reuses the mirror: later checkouts fetch only what is new, or nothing", async () => {
    const dataDir = freshDataDir();
    expect((await checkout(spec(dataDir), nextWorkDir())).ok).toBe(true);
    const marker = path.join(mirrorOf(dataDir), "kickoff-test-marker");
    writeFileSync(marker, "still the same mirror");

    const second = origin.commit({ "src/app.txt": "v2\n" }, "second");
    const workDir = nextWorkDir();
    expect(await checkout(spec(dataDir, { sha: second }), workDir)).toMatchObject({ ok: true });
    expect(readFileSync(path.join(workDir, "src/app.txt"), "utf8")).toBe("v2\n");
    expect(existsSync(marker)).toBe(true);

    // With the origin gone, commits already in the mirror still check out: no fetch.
    const moved = `${origin.dir}-moved`;
    renameSync(origin.dir, moved);
    try {
      const again = nextWorkDir();
      expect(await checkout(spec(dataDir, { sha: first }), again)).toMatchObject({ ok: true });
      expect(readFileSync(path.join(again, "src/app.txt"), "utf8")).toBe("v1\n");
    } finally {
      renameSync(moved, origin.dir);
    }
  });

  it("makes the mirror afresh when it was removed behind the process's back", async () => {
    const dataDir = freshDataDir();
    expect((await checkout(spec(dataDir), nextWorkDir())).ok).toBe(true);
    rmSync(path.join(dataDir, "mirrors"), { recursive: true, force: true });
    const workDir = nextWorkDir();
    expect(await checkout(spec(dataDir), workDir)).toMatchObject({ ok: true });
    expect(git(workDir, "rev-parse", "HEAD")).toBe(first);
    expect(existsSync(path.join(mirrorOf(dataDir), "HEAD"))).toBe(true);
  });

  it("gives work trees the new origin when the clone URL changes", async () => {
    const dataDir = freshDataDir();
    const before = nextWorkDir();
    expect((await checkout(spec(dataDir), before)).ok).toBe(true);
    const renamed = `${origin.dir}-renamed`;
    renameSync(origin.dir, renamed);
    try {
      const after = nextWorkDir();
      expect(await checkout(spec(dataDir, { cloneUrl: renamed }), after)).toMatchObject({ ok: true });
      expect(git(after, "remote", "get-url", "origin")).toBe(renamed);
      expect(git(before, "remote", "get-url", "origin")).toBe(origin.dir);
      expect(git(mirrorOf(dataDir), "config", "--get", "remote.origin.url")).toBe(renamed);
    } finally {
      renameSync(renamed, origin.dir);
    }
  });

  it("serializes concurrent checkouts of one repository, and all succeed", async () => {
    const dataDir = freshDataDir();
    const shas = [first, ...[1, 2, 3, 4, 5].map((n) => origin.commit({ "src/app.txt": `concurrent ${n}\n` }, `concurrent ${n}`))];
    const runs = shas.flatMap((sha, i) => [
      { sha, ref: "refs/heads/main", dir: nextWorkDir() },
      { sha, ref: i % 2 === 0 ? "refs/pull/7/head" : null, dir: nextWorkDir() },
    ]);
    const results = await Promise.all(runs.map((run) => checkout(spec(dataDir, { sha: run.sha, ref: run.ref }), run.dir)));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    for (const run of runs) expect(git(run.dir, "rev-parse", "HEAD")).toBe(run.sha);
    expect(readdirSync(path.join(dataDir, "mirrors", "acme"))).toEqual(["shop.git"]);
  });

  it("fails with a clear, one-line message when the commit does not exist", async () => {
    const missing = "0123456789abcdef0123456789abcdef01234567";
    const withRef = await checkout(spec(freshDataDir(), { sha: missing }), nextWorkDir());
    expect(withRef).toEqual({ ok: false, error: `commit ${missing} not found (fetched refs/heads/main)` });
    const withoutRef = await checkout(spec(freshDataDir(), { sha: missing, ref: null }), nextWorkDir());
    expect(withoutRef).toEqual({ ok: false, error: `commit ${missing} not found` });
  });

  it("fails with git's reason when the repository cannot be fetched", async () => {
    const result = await checkout(spec(freshDataDir(), { cloneUrl: path.join(tmp, "no-such-repo") }), nextWorkDir());
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatch(/^git fetch failed: /);
      expect(result.error).not.toContain("\n");
    }
  });

  it.each<[string, Partial<CheckoutSpec>, RegExp]>([
    ["an option as ref", { ref: "--upload-pack=touch /tmp/pwned" }, /invalid ref/],
    ["an option inside a ref", { ref: "refs/heads/x --upload-pack=touch /tmp/pwned" }, /invalid ref/],
    ["a ref with ..", { ref: "refs/heads/../../config" }, /invalid ref/],
    ["an option as sha", { sha: "--upload-pack=touch /tmp/pwned" }, /invalid commit sha/],
    ["a revision expression as sha", { sha: "HEAD~1" }, /invalid commit sha/],
    ["a short sha", { sha: "abc123" }, /invalid commit sha/],
    ["a path as repository", { repository: "../../etc" }, /invalid repository/],
    ["an option as clone URL", { cloneUrl: "--upload-pack=touch /tmp/pwned" }, /invalid clone URL/],
    ["a command transport", { cloneUrl: "ext::sh -c touch% /tmp/pwned" }, /invalid clone URL/],
  ])("rejects %s before running git", async (_name, overrides, message) => {
    const workDir = nextWorkDir();
    const dataDir = freshDataDir();
    const result = await checkout(spec(dataDir, overrides), workDir);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
    expect(existsSync("/tmp/pwned")).toBe(false);
    expect(existsSync(workDir)).toBe(false);
    expect(existsSync(path.join(dataDir, "mirrors"))).toBe(false);
  });

  it("refuses a work directory that is not empty", async () => {
    const workDir = nextWorkDir();
    mkdirSync(workDir);
    writeFileSync(path.join(workDir, "leftover"), "x");
    expect(await checkout(spec(freshDataDir()), workDir)).toEqual({ ok: false, error: "work directory is not empty" });
  });

  it("accepts an existing empty work directory", async () => {
    const workDir = nextWorkDir();
    mkdirSync(workDir);
    expect(await checkout(spec(freshDataDir()), workDir)).toMatchObject({ ok: true });
  });

  it("stops when cancelled", async () => {
    const result = await checkout(spec(freshDataDir(), { signal: AbortSignal.abort() }), nextWorkDir());
    expect(result).toEqual({ ok: false, error: "checkout cancelled" });
  });
});

describe("removeWorkspace", () => {
  it("removes a checkout, read-only directories included", async () => {
    const workDir = nextWorkDir();
    expect((await checkout(spec(freshDataDir()), workDir)).ok).toBe(true);
    const locked = path.join(workDir, "cache", "mod");
    mkdirSync(locked, { recursive: true });
    writeFileSync(path.join(locked, "file"), "x");
    chmodSync(locked, 0o555);
    chmodSync(path.join(workDir, "cache"), 0o555);
    await removeWorkspace(workDir);
    expect(existsSync(workDir)).toBe(false);
  });

  it("does not follow symlinks out of the workspace", async () => {
    const outside = path.join(tmp, "outside");
    mkdirSync(outside, { recursive: true });
    writeFileSync(path.join(outside, "keep"), "x");
    const workDir = nextWorkDir();
    mkdirSync(workDir);
    (await import("node:fs")).symlinkSync(outside, path.join(workDir, "link"));
    await removeWorkspace(workDir);
    expect(existsSync(workDir)).toBe(false);
    expect(readFileSync(path.join(outside, "keep"), "utf8")).toBe("x");
  });

  it("is fine with a directory that does not exist", async () => {
    await expect(removeWorkspace(path.join(tmp, "never-created"))).resolves.toBeUndefined();
  });
});
