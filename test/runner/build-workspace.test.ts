import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPaths, prepareWorkspace } from "../../src/runner/build-workspace.js";
import { copySkeleton, workTreeSkeleton } from "../../src/runner/work-tree-skeleton.js";
import { TestRepo, git } from "./support/git-repo.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kickoff-build-ws-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every file below `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

function freshDataDir(): string {
  return mkdtempSync(path.join(tmp, "data-"));
}

describe("buildPaths", () => {
  it("puts a build under builds/<id> of the data directory", () => {
    expect(buildPaths("/srv/kickoff", 42)).toEqual({
      dir: "/srv/kickoff/builds/42",
      workDir: "/srv/kickoff/builds/42/src",
      summaryFile: "/srv/kickoff/builds/42/summary.md",
      home: "/srv/kickoff/builds/42/home",
    });
  });
});

describe("prepareWorkspace", () => {
  it("makes a fresh directory with an empty home and an empty summary", async () => {
    const paths = buildPaths(freshDataDir(), 7);
    expect(await prepareWorkspace(paths)).toBeNull();
    expect(readdirSync(paths.dir).sort()).toEqual(["home", "summary.md"]);
    expect(statSync(paths.home).isDirectory()).toBe(true);
    expect(readdirSync(paths.home)).toEqual([]);
    expect(readFileSync(paths.summaryFile, "utf8")).toBe("");
    // The checkout makes its own directory.
    expect(existsSync(paths.workDir)).toBe(false);
  });

  it("removes an earlier attempt's files", async () => {
    const dataDir = freshDataDir();
    const paths = buildPaths(dataDir, 8);
    expect(await prepareWorkspace(paths)).toBeNull();
    mkdirSync(path.join(paths.workDir, ".git"), { recursive: true });
    writeFileSync(path.join(paths.workDir, "built.o"), "object code");
    mkdirSync(path.join(paths.home, ".cache", "deep"), { recursive: true });
    writeFileSync(path.join(paths.home, ".cache", "deep", "file"), "cached");
    writeFileSync(paths.summaryFile, "## attempt 1\n");
    writeFileSync(path.join(paths.dir, "stray"), "x");
    // Another build's workspace is not touched.
    const neighbour = buildPaths(dataDir, 9);
    expect(await prepareWorkspace(neighbour)).toBeNull();
    writeFileSync(neighbour.summaryFile, "keep me");

    expect(await prepareWorkspace(paths)).toBeNull();
    expect(readdirSync(paths.dir).sort()).toEqual(["home", "summary.md"]);
    expect(readdirSync(paths.home)).toEqual([]);
    expect(readFileSync(paths.summaryFile, "utf8")).toBe("");
    expect(readFileSync(neighbour.summaryFile, "utf8")).toBe("keep me");
  });

  it("names a file where builds/ should be, without the data directory's path", async () => {
    const dataDir = freshDataDir();
    writeFileSync(path.join(dataDir, "builds"), "not a directory");
    const problem = await prepareWorkspace(buildPaths(dataDir, 1));
    expect(problem?.title).toBe("cannot create the workspace under KICKOFF_DATA_DIR/builds (a file is in the way)");
    expect(problem?.title).not.toContain(dataDir);
    expect((problem?.error as NodeJS.ErrnoException).code).toMatch(/^(ENOTDIR|EEXIST)$/);
  });

  it("names a file where the build's own directory should be", async () => {
    const dataDir = freshDataDir();
    mkdirSync(path.join(dataDir, "builds"));
    writeFileSync(path.join(dataDir, "builds", "3"), "not a directory");
    const problem = await prepareWorkspace(buildPaths(dataDir, 3));
    expect(problem?.title).toBe("cannot create the workspace under KICKOFF_DATA_DIR/builds (a file is in the way)");
  });

  it.skipIf(process.getuid?.() === 0)("names lost permissions on the data directory (not as root, which ignores them)", async () => {
    const dataDir = freshDataDir();
    mkdirSync(path.join(dataDir, "builds"));
    chmodSync(path.join(dataDir, "builds"), 0o555);
    try {
      const problem = await prepareWorkspace(buildPaths(dataDir, 4));
      expect(problem?.title).toBe("cannot create the workspace under KICKOFF_DATA_DIR/builds (permission denied)");
    } finally {
      chmodSync(path.join(dataDir, "builds"), 0o755);
    }
  });
});

describe("work tree skeletons", () => {
  let mirror: string;
  let home: string;
  let first: string;
  let second: string;
  let mirrorCount = 0;

  /** A bare mirror holding two commits on main, pushed from a scratch repository. */
  function newMirror(): string {
    const dir = path.join(tmp, `mirror-${++mirrorCount}.git`);
    git(tmp, "init", "--quiet", "--bare", dir);
    git(scratch.dir, "push", "--quiet", dir, "main");
    return dir;
  }

  let scratch: TestRepo;
  beforeAll(() => {
    scratch = TestRepo.create(path.join(tmp, "scratch"));
    first = scratch.commit({ "README.md": "# shop\n", "src/app.txt": "v1\n" }, "first");
    second = scratch.commit({ "src/app.txt": "v2\n", "src/new.txt": "new\n" }, "second");
    mirror = newMirror();
    home = mkdtempSync(path.join(tmp, "home-"));
  });

  const URL = "https://github.com/acme/shop.git";

  it("makes <mirror>/kickoff/work-tree-<id>/.git once per mirror and URL, and returns the same one next time", async () => {
    const made = await workTreeSkeleton(mirror, home, URL);
    if (!made.ok) throw new Error(`skeleton failed at ${made.step}: ${made.failure.stderr}`);
    expect(path.dirname(path.dirname(made.gitDir))).toBe(path.join(mirror, "kickoff"));
    expect(path.basename(path.dirname(made.gitDir))).toMatch(/^work-tree-[0-9a-f]{16}$/);
    expect(path.basename(made.gitDir)).toBe(".git");
    expect(existsSync(path.join(made.gitDir, "config"))).toBe(true);
    // No sample hooks, nothing of git's template.
    expect(existsSync(path.join(made.gitDir, "hooks"))).toBe(false);
    expect(readFileSync(path.join(made.gitDir, "objects", "info", "alternates"), "utf8")).toBe(`${path.join(mirror, "objects")}\n`);
    expect(git(made.gitDir, "config", "--file", path.join(made.gitDir, "config"), "--get", "remote.origin.url")).toBe(URL);

    // Made once, never changed after: a second call leaves it as it is.
    const marker = path.join(made.gitDir, "kickoff-test-marker");
    writeFileSync(marker, "the same skeleton");
    expect(await workTreeSkeleton(mirror, home, URL)).toEqual({ ok: true, gitDir: made.gitDir });
    // Found rather than made: no git runs, so even a cancelled build gets it.
    expect(await workTreeSkeleton(mirror, home, URL, AbortSignal.abort())).toEqual({ ok: true, gitDir: made.gitDir });
    expect(readFileSync(marker, "utf8")).toBe("the same skeleton");
    expect(readdirSync(path.join(mirror, "kickoff"))).toEqual([path.basename(path.dirname(made.gitDir))]);
    rmSync(marker);
  });

  it("lets concurrent callers for one mirror and URL all succeed with one skeleton, and leaves no staging behind", async () => {
    const fresh = newMirror();
    const results = await Promise.all(Array.from({ length: 8 }, () => workTreeSkeleton(fresh, home, URL)));
    const dirs = new Set(results.map((r) => (r.ok ? r.gitDir : `failed: ${r.step} ${r.failure.stderr}`)));
    expect([...dirs]).toHaveLength(1);
    const [gitDir] = dirs;
    expect(results.every((r) => r.ok)).toBe(true);
    expect(readdirSync(path.join(fresh, "kickoff"))).toEqual([path.basename(path.dirname(gitDir!))]);
    expect(git(gitDir!, "config", "--file", path.join(gitDir!, "config"), "--get", "remote.origin.url")).toBe(URL);
  });

  it("gives another URL (or another mirror) a skeleton of its own", async () => {
    const a = await workTreeSkeleton(mirror, home, URL);
    const other = 'https://example.com/a b/"quoted";#hash\\shop.git';
    const b = await workTreeSkeleton(mirror, home, other);
    const c = await workTreeSkeleton(newMirror(), home, URL);
    if (!a.ok || !b.ok || !c.ok) throw new Error("a skeleton failed");
    expect(new Set([a.gitDir, b.gitDir, c.gitDir]).size).toBe(3);
    expect(path.dirname(path.dirname(b.gitDir))).toBe(path.join(mirror, "kickoff"));
    // git quoted the URL in its config: it reads back exactly.
    expect(git(b.gitDir, "config", "--file", path.join(b.gitDir, "config"), "--get", "remote.origin.url")).toBe(other);
    expect(git(a.gitDir, "config", "--file", path.join(a.gitDir, "config"), "--get", "remote.origin.url")).toBe(URL);
  });

  it("copies into a work tree that checks out the mirror's commits, with the clone URL as origin and no hooks", async () => {
    const skeleton = await workTreeSkeleton(mirror, home, URL);
    if (!skeleton.ok) throw new Error("the skeleton failed");
    const skeletonFiles = filesUnder(skeleton.gitDir);
    const skeletonConfig = readFileSync(path.join(skeleton.gitDir, "config"), "utf8");
    const workDir = path.join(tmp, "work-copy");
    mkdirSync(workDir);
    await copySkeleton(skeleton.gitDir, workDir);
    expect(filesUnder(path.join(workDir, ".git"))).toEqual(skeletonFiles);

    expect(git(workDir, "config", "--get", "remote.origin.url")).toBe(URL);
    expect(git(workDir, "config", "--get", "remote.origin.fetch")).toBe("+refs/heads/*:refs/remotes/origin/*");
    expect(existsSync(path.join(workDir, ".git", "hooks"))).toBe(false);
    // The objects are the mirror's, borrowed rather than copied.
    expect(filesUnder(path.join(workDir, ".git", "objects"))).toEqual(["info/alternates"]);

    git(workDir, "checkout", "--quiet", "--detach", first);
    expect(git(workDir, "rev-parse", "HEAD")).toBe(first);
    expect(readFileSync(path.join(workDir, "src", "app.txt"), "utf8")).toBe("v1\n");
    expect(git(workDir, "status", "--porcelain")).toBe("");
    git(workDir, "checkout", "--quiet", "--detach", second);
    expect(readFileSync(path.join(workDir, "src", "new.txt"), "utf8")).toBe("new\n");
    expect(git(workDir, "status", "--porcelain")).toBe("");

    // Each build's copy is its own: checking out in one leaves the skeleton as it was.
    expect(filesUnder(skeleton.gitDir)).toEqual(skeletonFiles);
    expect(readFileSync(path.join(skeleton.gitDir, "config"), "utf8")).toBe(skeletonConfig);
    const again = path.join(tmp, "work-copy-2", "nested");
    await copySkeleton(skeleton.gitDir, again);
    git(again, "checkout", "--quiet", "--detach", first);
    expect(git(again, "status", "--porcelain")).toBe("");
  });
});
