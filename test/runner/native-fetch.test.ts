// The smart-HTTP fast fetch (native-fetch.ts, smart-http.ts) against real git: the GitHub
// stand-in serves real `git upload-pack`, the mirror is a real bare repository, and small
// node:http servers in this file play a GitHub that misbehaves. native-fetch.ts caches per
// URL and per mirror, so every test uses a repository, a server and a mirror of its own.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { createAppAuth } from "@octokit/auth-app";
import { request } from "@octokit/request";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withMirrorLock } from "../../src/runner/mirror-lock.js";
import { ensureMirror, fetchIntoMirror, prepareOrigin } from "../../src/runner/mirror.js";
import { type NativeFetch, nativeFetch, nativeFetchApplies } from "../../src/runner/native-fetch.js";
import { DELIM, FLUSH, PktLineReader, packetText, pktLine } from "../../src/runner/pkt-line.js";
import { checkout } from "../../src/runner/workspace.js";
import { type GitHubStandIn, type StandInRepo, startGitHubStandIn } from "../support/github-stand-in.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kickoff-native-fetch-"));
const home = path.join(tmp, "home");
mkdirSync(home);
const gitEnv = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: home,
  LANG: "C",
  LC_ALL: "C",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
};
/** The keep ref mirror.ts uses for refs/heads/main. */
const DEST = "refs/kickoff/ref/heads%main";

let gh: GitHubStandIn;
let token: string;
const servers: Server[] = [];

beforeAll(async () => {
  gh = await startGitHubStandIn();
  const first = await gh.createRepo("acme/native-0");
  const auth = createAppAuth({ appId: gh.appId, privateKey: gh.privateKey, request: request.defaults({ baseUrl: gh.apiUrl }) });
  // One installation for the owner: the token reads every acme/* repository made later.
  ({ token } = await auth({ type: "installation", installationId: first.installationId }));
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await gh?.close();
  rmSync(tmp, { recursive: true, force: true });
});

// ---- git on the test's side -------------------------------------------------------------

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, ...args], { env: gitEnv, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }).trim();
}

function gitSucceeds(dir: string, ...args: string[]): boolean {
  return spawnSync("git", ["-C", dir, ...args], { env: gitEnv, stdio: "ignore" }).status === 0;
}

function freshMirror(): string {
  const mirror = path.join(mkdtempSync(path.join(tmp, "mirror-")), "m.git");
  execFileSync("git", ["init", "--bare", "--quiet", mirror], { env: gitEnv });
  return mirror;
}

function hasCommit(mirror: string, sha: string): boolean {
  return gitSucceeds(mirror, "cat-file", "-e", `${sha}^{commit}`);
}

function refOf(mirror: string, ref: string): string | null {
  return gitSucceeds(mirror, "rev-parse", "--verify", "--quiet", ref) ? git(mirror, "rev-parse", "--verify", ref) : null;
}

function looseObjects(mirror: string): number {
  return Number(/^count: (\d+)$/m.exec(git(mirror, "count-objects", "-v"))?.[1]);
}

function packDir(mirror: string): string[] {
  return readdirSync(path.join(mirror, "objects", "pack")).sort();
}

/** What the fast path may leave beside the objects: spooled packs must be gone. */
function spooled(mirror: string): string[] {
  const dir = path.join(mirror, "kickoff");
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith("incoming-")) : [];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file).isFile());
}

/** A pack of `sha` and everything it reaches, made by the stand-in repository's git. */
function packOf(repo: StandInRepo, sha: string): Buffer {
  return execFileSync("git", ["-C", repo.bareDir, "pack-objects", "--stdout", "--revs", "--quiet"], { env: gitEnv, input: `${sha}\n`, maxBuffer: 64 * 1024 * 1024 });
}

/** "PACK", version 2, no objects, then the SHA-1 of those 12 bytes. */
function emptyPack(): Buffer {
  const header = Buffer.from([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2, 0, 0, 0, 0]);
  return Buffer.concat([header, createHash("sha1").update(header).digest()]);
}

// ---- the stand-in -----------------------------------------------------------------------

let repoCount = 0;

async function standInRepo(files: Record<string, string> = { "README.md": "# native\n" }): Promise<{ repo: StandInRepo; sha: string }> {
  const repo = await gh.createRepo(`acme/native-${++repoCount}`);
  const sha = await repo.commit({ branch: "main", files });
  return { repo, sha };
}

/** The stand-in's git requests for `repo`, as "METHOD service". */
function gitRequests(repo: StandInRepo): string[] {
  const prefix = `/${repo.fullName}.git/`;
  return gh.requests.filter((r) => r.kind === "git" && r.path.startsWith(prefix)).map((r) => `${r.method} ${r.path.slice(prefix.length)}`);
}

function spec(mirror: string, cloneUrl: string, sha: string, extra: Partial<NativeFetch> = {}): NativeFetch {
  return { mirror, home, cloneUrl, sha, token, dest: DEST, timeoutMs: 20_000, ...extra };
}

// ---- servers of this file ---------------------------------------------------------------

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Bytes of the answer's body (counted by proxy() only). */
  answered: number;
}

interface Listening {
  url: string;
  seen: Seen[];
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer, seen: Seen) => void;

async function listen(handler: Handler): Promise<Listening> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const entry = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body, answered: 0 };
      seen.push(entry);
      handler(req, res, body, entry);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** Forwards every request to `target` and records it; `dropProtocol` removes the git-protocol header, so upload-pack answers in v0. */
function proxy(target: string, o: { dropProtocol?: boolean } = {}): Promise<Listening> {
  const to = new URL(target);
  return listen((req, res, body, seen) => {
    const headers: IncomingHttpHeaders = { ...req.headers, host: to.host, "content-length": String(body.length) };
    delete headers["transfer-encoding"];
    if (o.dropProtocol) delete headers["git-protocol"];
    const upstream = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.on("data", (chunk: Buffer) => (seen.answered += chunk.length));
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    upstream.end(body);
  });
}

/** A capability advertisement as GitHub sends it for protocol v2. */
const V2_ADVERTISEMENT = Buffer.concat([
  pktLine("version 2\n"),
  pktLine("agent=git/github-fake\n"),
  pktLine("ls-refs=unborn\n"),
  pktLine("fetch=shallow wait-for-done filter\n"),
  pktLine("server-option\n"),
  pktLine("object-format=sha1\n"),
  FLUSH,
]);

function advertise(res: ServerResponse, body: Buffer = V2_ADVERTISEMENT, type = "application/x-git-upload-pack-advertisement"): void {
  res.writeHead(200, { "content-type": type }).end(body);
}

/** A side-band packet: band number, then data. */
function band(n: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from((data.length + 5).toString(16).padStart(4, "0"), "latin1"), Buffer.from([n]), data]);
}

/** The `packfile` section carrying `pack` on band 1, without the closing flush. */
function packfileSection(pack: Buffer): Buffer {
  const parts = [pktLine("packfile\n")];
  for (let at = 0; at < pack.length; at += 65515) parts.push(band(1, pack.subarray(at, at + 65515)));
  return Buffer.concat(parts);
}

/** A git server of its own: a v2 advertisement (unless `advertisement` answers), and `pack` for the POST. */
async function fakeGit(o: { advertisement?: Handler; pack?: Handler }): Promise<Listening & { cloneUrl: string }> {
  const server = await listen((req, res, body, seen) => {
    if (req.method === "GET" && req.url === "/acme/fake.git/info/refs?service=git-upload-pack") (o.advertisement ?? ((_q, r) => advertise(r)))(req, res, body, seen);
    else if (req.method === "POST" && req.url === "/acme/fake.git/git-upload-pack" && o.pack) o.pack(req, res, body, seen);
    else res.writeHead(404, { "content-type": "text/plain" }).end("Not Found\n");
  });
  return { ...server, cloneUrl: `${server.url}/acme/fake.git` };
}

function result(res: ServerResponse, body: Buffer): void {
  res.writeHead(200, { "content-type": "application/x-git-upload-pack-result" }).end(body);
}

/** The pkt-lines of a request body: data as text, other packets by kind. */
async function requestLines(body: Buffer): Promise<Array<string | null>> {
  const reader = new PktLineReader(
    (async function* () {
      yield body;
    })(),
  );
  const lines: Array<string | null> = [];
  for (let p = await reader.next(); p !== null; p = await reader.next()) lines.push(p.kind === "data" ? packetText(p) : p.kind);
  return lines;
}

const SHA_NOBODY_HAS = "0123456789abcdef0123456789abcdef01234567";

// ---- tests -------------------------------------------------------------------------------

describe("nativeFetchApplies", () => {
  it("applies to http and https clone URLs only", () => {
    expect(nativeFetchApplies("https://github.com/acme/shop.git")).toBe(true);
    expect(nativeFetchApplies("http://127.0.0.1:8080/acme/shop.git")).toBe(true);
    expect(nativeFetchApplies("HTTPS://GITHUB.EXAMPLE/acme/shop.git")).toBe(true);
    for (const url of [
      "/srv/git/shop.git",
      "file:///srv/git/shop.git",
      "ssh://git@github.com/acme/shop.git",
      "git@github.com:acme/shop.git",
      "git://github.com/acme/shop.git",
      "httpx://x",
      "",
    ]) {
      expect(nativeFetchApplies(url), url).toBe(false);
    }
  });
});

describe("native fetch from the GitHub stand-in", () => {
  it("fetches a commit into an empty mirror with one GET info/refs and one POST git-upload-pack", async () => {
    const { repo, sha } = await standInRepo({ "README.md": "# one\n", "src/app.txt": "v1\n" });
    const mirror = freshMirror();
    expect(await nativeFetch(spec(mirror, repo.cloneUrl, sha))).toEqual({ ok: true });
    expect(hasCommit(mirror, sha)).toBe(true);
    expect(refOf(mirror, DEST)).toBe(sha);
    expect(git(mirror, "show", `${sha}:src/app.txt`)).toBe("v1");
    expect(gitRequests(repo)).toEqual(["GET info/refs", "POST git-upload-pack"]);
    const [discovery, post] = gh.requests.filter((r) => r.path.startsWith(`/${repo.fullName}.git/`));
    expect(discovery?.query).toEqual({ service: "git-upload-pack" });
    expect(discovery?.headers["git-protocol"]).toBe("version=2");
    expect(post?.headers["git-protocol"]).toBe("version=2");
    expect(post?.status).toBe(200);
    // Five objects (commit, two trees, two blobs) are unpacked loose, the spool file removed.
    expect(looseObjects(mirror)).toBe(5);
    expect(packDir(mirror).filter((f) => f.endsWith(".pack"))).toEqual([]);
    expect(spooled(mirror)).toEqual([]);
  });

  it("fetches a newer commit with the discovery reused and the mirror's tips as haves: only the new objects come, as a thin delta", async () => {
    // Random hex compresses only by half: a delta against the blob the mirror has is what keeps the second pack small.
    const big = randomBytes(16 * 1024).toString("hex");
    const { repo, sha: first } = await standInRepo({ "a.txt": big, "b.txt": "b\n", "c.txt": "c\n", "d/e.txt": "e\n" });
    const recorder = await proxy(gh.url);
    const cloneUrl = `${recorder.url}/${repo.fullName}.git`;
    const mirror = freshMirror();
    expect(await nativeFetch(spec(mirror, cloneUrl, first))).toEqual({ ok: true });
    const before = looseObjects(mirror);
    expect(before).toBe(7);

    const second = await repo.commit({ branch: "main", files: { "a.txt": `a new first line\n${big}` } });
    expect(await nativeFetch(spec(mirror, cloneUrl, second))).toEqual({ ok: true });
    expect(hasCommit(mirror, second)).toBe(true);
    expect(refOf(mirror, DEST)).toBe(second);
    // One new commit, one new root tree, one new blob: the rest was left out for the have.
    expect(looseObjects(mirror) - before).toBe(3);
    expect(git(mirror, "show", `${second}:a.txt`)).toBe(`a new first line\n${big}`);
    expect(gitSucceeds(mirror, "fsck", "--connectivity-only", "--no-dangling")).toBe(true);

    expect(gitRequests(repo)).toEqual(["GET info/refs", "POST git-upload-pack", "POST git-upload-pack"]);
    const posts = recorder.seen.filter((s) => s.method === "POST");
    expect(posts).toHaveLength(2);
    expect(posts[0]!.answered).toBeGreaterThan(12 * 1024);
    expect(posts[1]!.answered).toBeLessThan(2 * 1024);
    const firstLines = await requestLines(posts[0]!.body);
    const secondLines = await requestLines(posts[1]!.body);
    expect(firstLines.slice(0, 1)).toEqual(["command=fetch"]);
    expect(firstLines).toContain("delim");
    expect(firstLines).toContain("thin-pack");
    expect(firstLines).toContain(`want ${first}`);
    expect(firstLines.filter((l) => l?.startsWith("have "))).toEqual([]);
    expect(secondLines).toContain(`want ${second}`);
    expect(secondLines.filter((l) => l?.startsWith("have "))).toEqual([`have ${first}`]);
    expect(secondLines.slice(-2)).toEqual(["done", "flush"]);
  });

  it("stores a large thin pack (deltas against what the mirror has) with index-pack --fix-thin", async () => {
    const contents = Array.from({ length: 120 }, () => randomBytes(512).toString("hex"));
    const { repo, sha: first } = await standInRepo(Object.fromEntries(contents.map((c, i) => [`t/${i}.txt`, c])));
    const recorder = await proxy(gh.url);
    const cloneUrl = `${recorder.url}/${repo.fullName}.git`;
    const mirror = freshMirror();
    expect(await nativeFetch(spec(mirror, cloneUrl, first))).toEqual({ ok: true });
    const second = await repo.commit({ branch: "main", files: Object.fromEntries(contents.map((c, i) => [`t/${i}.txt`, `${c}\nchanged\n`])) });
    expect(await nativeFetch(spec(mirror, cloneUrl, second))).toEqual({ ok: true });
    expect(refOf(mirror, DEST)).toBe(second);
    expect(git(mirror, "show", `${second}:t/7.txt`)).toBe(`${contents[7]}\nchanged`);
    expect(gitSucceeds(mirror, "fsck", "--connectivity-only", "--no-dangling")).toBe(true);
    const packs = packDir(mirror);
    expect(packs.filter((f) => f.endsWith(".pack"))).toHaveLength(2);
    expect(packs.filter((f) => f.endsWith(".keep"))).toEqual([]);
    const [one, two] = recorder.seen.filter((s) => s.method === "POST");
    expect(two!.answered).toBeLessThan(one!.answered);
    // The new pack holds deltas whose bases came from the mirror, appended by --fix-thin so the pack stands alone.
    const verified = packs.filter((f) => f.endsWith(".idx")).map((f) => git(mirror, "verify-pack", "-v", `objects/pack/${f}`));
    const newest = verified.find((text) => text.includes(second));
    expect(newest).toMatch(/^chain length = 1: \d+ objects?$/m);
    expect(newest).toMatch(/: ok$/);
  });

  it("sends Basic x-access-token:<token> on every request, and writes the token nowhere", async () => {
    const { repo, sha } = await standInRepo();
    const recorder = await proxy(gh.url);
    const mirror = freshMirror();
    expect(await nativeFetch(spec(mirror, `${recorder.url}/${repo.fullName}.git`, sha))).toEqual({ ok: true });
    const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
    expect(recorder.seen.map((s) => `${s.method} ${s.headers.authorization}`)).toEqual([`GET Basic ${basic}`, `POST Basic ${basic}`]);
    const recorded = gh.requests.filter((r) => r.path.startsWith(`/${repo.fullName}.git/`));
    expect(recorded.map((r) => r.auth)).toEqual([
      { kind: "installation-token", user: "x-access-token", installationId: repo.installationId },
      { kind: "installation-token", user: "x-access-token", installationId: repo.installationId },
    ]);
    for (const file of filesUnder(mirror)) {
      const text = readFileSync(file, "latin1");
      expect(text, file).not.toContain(token);
      expect(text, file).not.toContain(basic);
    }
  });

  it("stores a pack of 100 objects or more with index-pack: a pack file, no .keep left, no loose objects", async () => {
    const files = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`many/file-${i}.txt`, `file number ${i}\n`]));
    const { repo, sha } = await standInRepo(files);
    const mirror = freshMirror();
    let held = 0;
    expect(await nativeFetch(spec(mirror, repo.cloneUrl, sha, { hold: () => held++ }))).toEqual({ ok: true });
    // Not a loose object, so the ref is updated before the result, never in the background.
    expect(held).toBe(0);
    expect(refOf(mirror, DEST)).toBe(sha);
    expect(hasCommit(mirror, sha)).toBe(true);
    expect(looseObjects(mirror)).toBe(0);
    const packs = packDir(mirror);
    expect(packs.filter((f) => f.endsWith(".pack"))).toHaveLength(1);
    expect(packs.filter((f) => f.endsWith(".idx"))).toHaveLength(1);
    expect(packs.filter((f) => f.endsWith(".keep"))).toEqual([]);
    expect(git(mirror, "ls-tree", "-r", "--name-only", sha).split("\n")).toHaveLength(150);
    expect(git(mirror, "show", `${sha}:many/file-149.txt`)).toBe("file number 149");
    expect(gitSucceeds(mirror, "fsck", "--connectivity-only", "--no-dangling")).toBe(true);
  });

  it("with `hold`, returns as soon as the commit is in and lets the ref update finish under the hold", async () => {
    const { repo, sha } = await standInRepo();
    const mirror = freshMirror();
    const holds: Array<Promise<unknown>> = [];
    expect(await nativeFetch(spec(mirror, repo.cloneUrl, sha, { hold: (pending) => holds.push(pending) }))).toEqual({ ok: true });
    expect(hasCommit(mirror, sha)).toBe(true);
    expect(holds).toHaveLength(1);
    expect(await holds[0]).toMatchObject({ ok: true });
    expect(refOf(mirror, DEST)).toBe(sha);
  });

  it("falls back when the server does not have the commit (ERR not our ref), writing nothing", async () => {
    const { repo } = await standInRepo();
    const mirror = freshMirror();
    const outcome = await nativeFetch(spec(mirror, repo.cloneUrl, SHA_NOBODY_HAS));
    expect(outcome).toEqual({ ok: false, fallback: expect.stringMatching(/^the server reported: .*not our ref 0123456789abcdef0123456789abcdef01234567/) });
    expect(gitRequests(repo)).toEqual(["GET info/refs", "POST git-upload-pack"]);
    expect(refOf(mirror, DEST)).toBeNull();
    expect(git(mirror, "for-each-ref")).toBe("");
    expect(looseObjects(mirror)).toBe(0);
    expect(packDir(mirror)).toEqual([]);
    expect(spooled(mirror)).toEqual([]);
  });

  it("is cancelled by its AbortSignal while the pack is being asked for", async () => {
    let posted!: () => void;
    const arrived = new Promise<void>((resolve) => (posted = resolve));
    let closed!: () => void;
    const dropped = new Promise<void>((resolve) => (closed = resolve));
    const server = await fakeGit({
      pack: (_req, res) => {
        res.on("close", closed);
        posted();
      },
    });
    const mirror = freshMirror();
    const controller = new AbortController();
    const pending = nativeFetch(spec(mirror, server.cloneUrl, SHA_NOBODY_HAS, { signal: controller.signal }));
    await arrived;
    controller.abort();
    expect(await pending).toEqual({ ok: false, failure: { ok: false, cancelled: true, timedOut: false, stderr: "", exitCode: null } });
    // The request was really given up: the server saw its connection go.
    await dropped;
    expect(refOf(mirror, DEST)).toBeNull();
  });

  for (const size of ["small", "large"] as const) {
    it(`is cancelled by its AbortSignal in the middle of a ${size} pack, leaving no ref and no pack`, async () => {
      const count = size === "small" ? 3 : 150;
      const { repo, sha } = await standInRepo(Object.fromEntries(Array.from({ length: count }, (_, i) => [`c/${i}.txt`, randomBytes(600).toString("hex")])));
      const section = packfileSection(packOf(repo, sha));
      let sent!: () => void;
      const halfSent = new Promise<void>((resolve) => (sent = resolve));
      const server = await fakeGit({
        pack: (_req, res) => {
          res.writeHead(200, { "content-type": "application/x-git-upload-pack-result" });
          // Half the pack, and then nothing: the fetch waits on the network when it is cancelled.
          res.write(section.subarray(0, Math.floor(section.length / 2)), () => sent());
        },
      });
      const mirror = freshMirror();
      const controller = new AbortController();
      const pending = nativeFetch(spec(mirror, server.cloneUrl, sha, { signal: controller.signal }));
      await halfSent;
      controller.abort();
      expect(await pending).toMatchObject({ ok: false, failure: { cancelled: true } });
      expect(refOf(mirror, DEST)).toBeNull();
      expect(hasCommit(mirror, sha)).toBe(false);
      expect(packDir(mirror).filter((f) => /\.(pack|idx|keep)$/.test(f))).toEqual([]);
      expect(spooled(mirror)).toEqual([]);
    });
  }

  it("is cancelled at once, without a request, by a signal aborted beforehand", async () => {
    const server = await fakeGit({ pack: (_req, res) => result(res, FLUSH) });
    const controller = new AbortController();
    controller.abort();
    const outcome = await nativeFetch(spec(freshMirror(), server.cloneUrl, SHA_NOBODY_HAS, { signal: controller.signal }));
    expect(outcome).toMatchObject({ ok: false, failure: { cancelled: true } });
    expect(server.seen).toEqual([]);
  });

  it("times out on a server that never answers", async () => {
    const server = await fakeGit({ pack: () => undefined });
    const outcome = await nativeFetch(spec(freshMirror(), server.cloneUrl, SHA_NOBODY_HAS, { timeoutMs: 1000 }));
    expect(outcome).toEqual({ ok: false, failure: { ok: false, cancelled: false, timedOut: true, stderr: "", exitCode: null } });
    expect(server.seen.map((s) => s.method)).toEqual(["GET", "POST"]);
  });
});

describe("fallbacks to git fetch", () => {
  it("a protocol v0 server: falls back, remembers it, and fetchIntoMirror's git fetch then succeeds through it", async () => {
    const { repo, sha } = await standInRepo({ "README.md": "# v0\n" });
    const v0 = await proxy(gh.url, { dropProtocol: true });
    const cloneUrl = `${v0.url}/${repo.fullName}.git`;
    const mirror = freshMirror();
    const v0Fallback = { ok: false, fallback: "the server does not speak git protocol v2 as expected (no version 2 announcement)" };
    expect(await nativeFetch(spec(mirror, cloneUrl, sha))).toEqual(v0Fallback);
    expect(v0.seen.map((s) => `${s.method} ${s.url}`)).toEqual([`GET /${repo.fullName}.git/info/refs?service=git-upload-pack`]);
    // The answer is remembered: a second fetch does not ask again.
    expect(await nativeFetch(spec(freshMirror(), cloneUrl, sha))).toEqual(v0Fallback);
    expect(v0.seen).toHaveLength(1);
    expect(refOf(mirror, DEST)).toBeNull();

    const viaMirror = path.join(mkdtempSync(path.join(tmp, "mirror-")), "m.git");
    expect(await ensureMirror(viaMirror, home)).toEqual({ ok: true });
    expect(await prepareOrigin(viaMirror, home, cloneUrl)).toMatchObject({ ok: true });
    const fallbacks: string[] = [];
    const fetched = await fetchIntoMirror({ mirror: viaMirror, home, cloneUrl, sha, ref: "refs/heads/main", token, onFallback: (why) => fallbacks.push(why) });
    expect(fetched).toEqual({ ok: true });
    expect(fallbacks).toEqual([v0Fallback.fallback]);
    expect(hasCommit(viaMirror, sha)).toBe(true);
    expect(refOf(viaMirror, DEST)).toBe(sha);
    // git itself went through the proxy, in protocol v0, with the token.
    const byGit = v0.seen.slice(1);
    expect(byGit.map((s) => s.method)).toEqual(["GET", "POST"]);
    expect(byGit.every((s) => String(s.headers["user-agent"]).startsWith("git/"))).toBe(true);
    expect(byGit.every((s) => s.headers.authorization === `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`)).toBe(true);
    const post = gh.requests.filter((r) => r.method === "POST" && r.path === `/${repo.fullName}.git/git-upload-pack`).at(-1);
    expect(post?.headers["git-protocol"]).toBeUndefined();
    expect(post?.status).toBe(200);
  });

  it("401: falls back, and asks again next time (a refused token is not remembered)", async () => {
    const server = await listen((_req, res) => res.writeHead(401, { "www-authenticate": 'Basic realm="GitHub"' }).end());
    const cloneUrl = `${server.url}/acme/locked.git`;
    const mirror = freshMirror();
    expect(await nativeFetch(spec(mirror, cloneUrl, SHA_NOBODY_HAS))).toEqual({ ok: false, fallback: "the server answered HTTP 401" });
    expect(await nativeFetch(spec(mirror, cloneUrl, SHA_NOBODY_HAS))).toEqual({ ok: false, fallback: "the server answered HTTP 401" });
    expect(server.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "GET /acme/locked.git/info/refs?service=git-upload-pack",
      "GET /acme/locked.git/info/refs?service=git-upload-pack",
    ]);
  });

  it("401 from the stand-in for a token it did not issue", async () => {
    const { repo, sha } = await standInRepo();
    const mirror = freshMirror();
    expect(await nativeFetch(spec(mirror, repo.cloneUrl, sha, { token: "ghs_notAnIssuedToken" }))).toEqual({ ok: false, fallback: "the server answered HTTP 401" });
    expect(gitRequests(repo)).toEqual(["GET info/refs"]);
    expect(gh.requests.filter((r) => r.path.startsWith(`/${repo.fullName}.git/`)).map((r) => r.auth.kind)).toEqual(["invalid"]);
    expect(refOf(mirror, DEST)).toBeNull();
  });

  it("301: falls back without following the redirect; git then follows it, but the token does not go along", async () => {
    const target = await listen((_req, res) => res.writeHead(401, { "www-authenticate": 'Basic realm="elsewhere"' }).end());
    const redirecting = await listen((req, res) => res.writeHead(301, { location: `${target.url}${req.url}` }).end());
    const cloneUrl = `${redirecting.url}/acme/moved.git`;
    const outcome = await nativeFetch(spec(freshMirror(), cloneUrl, SHA_NOBODY_HAS));
    expect(outcome).toEqual({ ok: false, fallback: "the server answered HTTP 301" });
    expect(redirecting.seen).toHaveLength(1);
    expect(target.seen).toEqual([]);

    // Through mirror.ts: the fast path gives way, git fetch follows the redirect without the token.
    const mirror = path.join(mkdtempSync(path.join(tmp, "mirror-")), "m.git");
    expect(await ensureMirror(mirror, home)).toEqual({ ok: true });
    expect(await prepareOrigin(mirror, home, cloneUrl)).toMatchObject({ ok: true });
    const fallbacks: string[] = [];
    const fetched = await fetchIntoMirror({ mirror, home, cloneUrl, sha: SHA_NOBODY_HAS, ref: null, token, onFallback: (why) => fallbacks.push(why) });
    expect(fetched).toMatchObject({ ok: false, step: "fetch" });
    expect(JSON.stringify(fetched)).not.toContain(token);
    expect(fallbacks).toEqual(["the server answered HTTP 301"]);
    const basic = `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
    expect(redirecting.seen.length).toBeGreaterThan(1);
    expect(redirecting.seen.every((s) => s.headers.authorization === basic)).toBe(true);
    expect(target.seen.length).toBeGreaterThan(0);
    expect(target.seen.map((s) => s.headers.authorization)).toEqual(target.seen.map(() => undefined));
  });

  describe("a server sending what a v2 client cannot use", () => {
    const advertisements: Array<[string, Handler, RegExp]> = [
      ["an HTML page", (_req, res) => advertise(res, Buffer.from("<html>Sign in</html>"), "text/html; charset=utf-8"), /\(content type text\/html; charset=utf-8\)$/],
      ["garbage in place of pkt-lines", (_req, res) => advertise(res, Buffer.from("this is not a pkt-line stream")), /\(malformed pkt-line length "this"\)$/],
      ["an advertisement cut inside a pkt-line", (_req, res) => advertise(res, V2_ADVERTISEMENT.subarray(0, 20)), /\(the stream ended inside a pkt-line\)$/],
      ["no fetch command", (_req, res) => advertise(res, Buffer.concat([pktLine("version 2\n"), pktLine("ls-refs\n"), FLUSH])), /\(no fetch command\)$/],
      [
        "SHA-256 objects",
        (_req, res) => advertise(res, Buffer.concat([pktLine("version 2\n"), pktLine("fetch\n"), pktLine("object-format=sha256\n"), FLUSH])),
        /\(object format sha256\)$/,
      ],
      ["an empty body", (_req, res) => advertise(res, Buffer.alloc(0)), /\(no version 2 announcement\)$/],
    ];
    for (const [what, answer, reason] of advertisements) {
      it(`discovery: ${what} → fallback saying why, remembered`, async () => {
        const server = await fakeGit({ advertisement: answer });
        const mirror = freshMirror();
        const first = await nativeFetch(spec(mirror, server.cloneUrl, SHA_NOBODY_HAS));
        expect(first).toEqual({ ok: false, fallback: expect.stringMatching(/^the server does not speak git protocol v2 as expected \(/) });
        expect(first).toEqual({ ok: false, fallback: expect.stringMatching(reason) });
        // Remembered, reason and all: the second fetch does not ask the server again.
        expect(await nativeFetch(spec(mirror, server.cloneUrl, SHA_NOBODY_HAS))).toEqual(first);
        expect(server.seen.map((s) => s.method)).toEqual(["GET"]);
      });
    }

    const packs: Array<[string, () => Buffer, RegExp]> = [
      ["garbage", () => Buffer.from("garbage, not pkt-lines"), /^the server does not speak git protocol v2 as expected \(malformed pkt-line length "garb"\)$/],
      ["an ERR packet", () => pktLine("ERR upload-pack: not our ref deadbeef\n"), /^the server reported: upload-pack: not our ref deadbeef$/],
      ["an empty body", () => Buffer.alloc(0), /an empty response/],
      ["an acknowledgments section", () => Buffer.concat([pktLine("acknowledgments\n"), pktLine("NAK\n"), FLUSH]), /section "acknowledgments"/],
      ["a flush for a section", () => FLUSH, /section "flush"/],
      ["a body cut inside a pkt-line", () => Buffer.concat([pktLine("packfile\n"), Buffer.from("0100PA")]), /the stream ended inside a pkt-line\)$/],
      ["an error on band 3", () => Buffer.concat([pktLine("packfile\n"), band(3, Buffer.from("fatal: out of memory\n")), FLUSH]), /^the server reported: fatal: out of memory$/],
      ["an unknown band", () => Buffer.concat([pktLine("packfile\n"), band(9, Buffer.from("??")), FLUSH]), /an unexpected band 9 packet in the pack/],
      ["a delim inside the pack", () => Buffer.concat([pktLine("packfile\n"), DELIM, FLUSH]), /an unexpected delim packet in the pack/],
      ["a pack that is not one", () => Buffer.concat([packfileSection(Buffer.from("JUNKJUNKJUNKJUNK")), FLUSH]), /the pack does not start with PACK/],
      ["a pack of version 7", () => Buffer.concat([packfileSection(Buffer.from([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 7, 0, 0, 0, 0])), FLUSH]), /pack version 7/],
      ["a pack cut inside its header", () => Buffer.concat([packfileSection(Buffer.from("PACK\0\0")), FLUSH]), /the pack ended inside its header/],
      ["a pack without the closing flush", () => packfileSection(emptyPack()), /^the connection failed: the response ended before the pack did$/],
      [
        "a corrupt pack",
        () => Buffer.concat([packfileSection(Buffer.concat([emptyPack().subarray(0, 11), Buffer.from([1]), Buffer.alloc(20, 0xee)])), FLUSH]),
        /^storing the pack failed: /,
      ],
    ];
    for (const [what, body, reason] of packs) {
      it(`pack: ${what} → fallback saying why, nothing written`, async () => {
        const server = await fakeGit({ pack: (_req, res) => result(res, body()) });
        const mirror = freshMirror();
        const outcome = await nativeFetch(spec(mirror, server.cloneUrl, SHA_NOBODY_HAS));
        expect(outcome).toEqual({ ok: false, fallback: expect.stringMatching(reason) });
        expect(server.seen.map((s) => s.method)).toEqual(["GET", "POST"]);
        expect(git(mirror, "for-each-ref")).toBe("");
        expect(looseObjects(mirror)).toBe(0);
        expect(spooled(mirror)).toEqual([]);
      });
    }

    it("pack: HTTP 500 → fallback", async () => {
      const server = await fakeGit({ pack: (_req, res) => res.writeHead(500, { "content-type": "text/plain" }).end("oops\n") });
      expect(await nativeFetch(spec(freshMirror(), server.cloneUrl, SHA_NOBODY_HAS))).toEqual({ ok: false, fallback: "the server answered HTTP 500" });
    });
  });

  it("an empty pack lacking the commit: falls back and creates no keep ref, with or without `hold`", async () => {
    const server = await fakeGit({ pack: (_req, res) => result(res, Buffer.concat([packfileSection(emptyPack()), FLUSH])) });
    const mirror = freshMirror();
    expect(emptyPack()).toEqual(execFileSync("git", ["-C", mirror, "pack-objects", "--stdout", "-q"], { env: gitEnv, input: "" }));
    const outcome = await nativeFetch(spec(mirror, server.cloneUrl, SHA_NOBODY_HAS));
    expect(outcome).toEqual({ ok: false, fallback: expect.stringMatching(/^the pack lacked the commit: /) });
    expect(refOf(mirror, DEST)).toBeNull();
    let held = 0;
    const again = await nativeFetch(spec(mirror, server.cloneUrl, SHA_NOBODY_HAS, { hold: () => held++ }));
    expect(again).toEqual({ ok: false, fallback: expect.stringMatching(/^the pack lacked the commit: /) });
    expect(held).toBe(0);
    expect(refOf(mirror, DEST)).toBeNull();
    expect(git(mirror, "for-each-ref")).toBe("");
    expect(server.seen.map((s) => s.method)).toEqual(["GET", "POST", "POST"]);
  });

  for (const [size, files] of [
    ["small", { "README.md": "# cut\n", "big.txt": "0123456789abcdef".repeat(4096) }],
    ["large", Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`f/${i}.txt`, `${"x".repeat(200)} ${i}\n`]))],
  ] as const) {
    it(`the connection closed in the middle of a ${size} pack: no crash, no partial ref, nothing left behind`, async () => {
      const { repo, sha } = await standInRepo(files);
      const pack = packOf(repo, sha);
      const section = packfileSection(pack);
      const server = await fakeGit({
        pack: (_req, res) => {
          res.writeHead(200, { "content-type": "application/x-git-upload-pack-result" });
          res.write(section.subarray(0, Math.floor(section.length / 2)), () => res.destroy());
        },
      });
      const mirror = freshMirror();
      const outcome = await nativeFetch(spec(mirror, server.cloneUrl, sha));
      expect(outcome.ok).toBe(false);
      if ("fallback" in outcome) expect(outcome.fallback).toMatch(/^the connection failed: /);
      expect(refOf(mirror, DEST)).toBeNull();
      expect(hasCommit(mirror, sha)).toBe(false);
      expect(packDir(mirror).filter((f) => /\.(pack|idx|keep)$/.test(f))).toEqual([]);
      expect(spooled(mirror)).toEqual([]);
    });
  }
});

describe("a large pack received whole, then the response breaks off", () => {
  for (const [how, end] of [
    ["the closing flush missing", (res: ServerResponse) => res.end()],
    ["the connection reset", (res: ServerResponse) => res.destroy()],
  ] as const) {
    it(`${how}: falls back and leaves no .keep, so gc may drop the pack no ref holds`, async () => {
      const files = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k/${i}.txt`, `${"y".repeat(100)} ${i}\n`]));
      const { repo, sha } = await standInRepo(files);
      const section = packfileSection(packOf(repo, sha));
      const server = await fakeGit({
        pack: (_req, res) => {
          res.writeHead(200, { "content-type": "application/x-git-upload-pack-result" });
          res.write(section, () => end(res));
        },
      });
      const mirror = freshMirror();
      const outcome = await nativeFetch(spec(mirror, server.cloneUrl, sha));
      expect(outcome).toEqual({ ok: false, fallback: expect.stringMatching(/^the connection failed: /) });
      expect(refOf(mirror, DEST)).toBeNull();
      expect(packDir(mirror).filter((f) => f.endsWith(".keep"))).toEqual([]);
    });
  }
});

describe("checkout (workspace.ts) from the stand-in", () => {
  it("checks a stand-in commit out end to end over the fast path, with a credential-free origin", async () => {
    const { repo, sha } = await standInRepo({ "README.md": "# checkout\n", "src/main.txt": "hello\n" });
    const dataDir = mkdtempSync(path.join(tmp, "data-"));
    const workDir = path.join(tmp, `work-${repoCount}`);
    const fallbacks: string[] = [];
    const outcome = await checkout(
      { dataDir, repository: repo.fullName, cloneUrl: repo.cloneUrl, sha, ref: "refs/heads/main", token, onFallback: (why) => fallbacks.push(why) },
      workDir,
    );
    expect(outcome).toMatchObject({ ok: true, dir: workDir });
    expect(fallbacks).toEqual([]);
    expect(readFileSync(path.join(workDir, "src/main.txt"), "utf8")).toBe("hello\n");
    expect(git(workDir, "rev-parse", "HEAD")).toBe(sha);
    expect(git(workDir, "remote", "get-url", "origin")).toBe(repo.cloneUrl);
    expect(git(workDir, "status", "--porcelain")).toBe("");
    expect(gitRequests(repo)).toEqual(["GET info/refs", "POST git-upload-pack"]);
    // The keep ref may be written under the mirror's lock after the result: take the lock to wait for it.
    const mirror = path.join(dataDir, "mirrors", "acme", `${repo.name}.git`);
    await withMirrorLock(mirror, async () => undefined);
    expect(refOf(mirror, DEST)).toBe(sha);
    const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
    for (const file of [...filesUnder(dataDir), ...filesUnder(workDir)]) {
      const text = readFileSync(file, "latin1");
      expect(text, file).not.toContain(token);
      expect(text, file).not.toContain(basic);
    }
  });
});
