import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { access, mkdir, readdir, readFile, rm } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import path from "node:path";
import { runGit } from "./git-command.js";
import type { GitResult } from "./git-command.js";
import { type Capabilities, discover, fetchPack, type Remote, SmartHttpError } from "./smart-http.js";

// `git fetch` over HTTPS costs a build about 40 ms of processes before any byte of the
// pack moves: git, its remote helper (which loads libcurl), a second request for the
// capabilities, a connectivity walk and a maintenance check. Kickoff already knows what it
// wants (one commit) and what the mirror has (its keep refs), so it asks for the pack
// itself over a kept-alive connection and hands the bytes to git to store: one process.

export interface NativeFetch {
  mirror: string;
  home: string;
  cloneUrl: string;
  sha: string;
  token: string | null;
  /** The keep ref to point at the commit. */
  dest: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Keeps the mirror's lock for work that goes on after the result (see withMirrorLock). */
  hold?: (pending: Promise<unknown>) => void;
}

/** `fallback`: let `git fetch` try (and say what went wrong, if it fails too). */
export type NativeFetchResult = { ok: true } | { ok: false; fallback: string } | { ok: false; failure: Extract<GitResult, { ok: false }> };

/** A smaller pack is unpacked into loose objects, a larger one kept as a pack: git's own rule (fetch.unpackLimit). */
const UNPACK_LIMIT = 100;
/** Tips sent as haves; the newest are the likeliest ancestors of what a push brings. */
const MAX_HAVES = 32;
/** The capability advertisement is asked for again after this long. */
const DISCOVERY_TTL_MS = 10 * 60_000;
/** `git maintenance run --auto` (which `git fetch` runs every time) every this many fetches. */
const MAINTENANCE_EVERY = 50;

/** Per URL: what the server offers, or why the fast path is off for it. */
const discovered = new Map<string, { at: number; caps: Capabilities } | { at: number; caps: null; why: string }>();
const tips = new Map<string, string[]>();
const fetches = new Map<string, number>();

/** Whether the fast path applies to a clone URL at all: smart HTTP only. */
export function nativeFetchApplies(cloneUrl: string): boolean {
  return /^https?:\/\//i.test(cloneUrl);
}

/** Fetches `sha` into the mirror and points `dest` at it. Call under the mirror's lock. */
export async function nativeFetch(spec: NativeFetch): Promise<NativeFetchResult> {
  const signal = spec.signal ? AbortSignal.any([spec.signal, AbortSignal.timeout(spec.timeoutMs)]) : AbortSignal.timeout(spec.timeoutMs);
  const remote: Remote = { url: spec.cloneUrl.replace(/\/+$/, ""), token: spec.token, signal };
  const git = (args: string[], input: { stdin?: AsyncIterable<Uint8Array>; stdinFile?: string } = {}) =>
    runGit(["-C", spec.mirror, ...args], { home: spec.home, timeoutMs: spec.timeoutMs, ...(spec.signal ? { signal: spec.signal } : {}), ...input });
  try {
    const caps = await capabilities(remote);
    if (typeof caps === "string") return { ok: false, fallback: caps };
    const haves = await mirrorTips(spec.mirror, git);
    const pack = withPackHeader(fetchPack(remote, caps, { wants: [spec.sha], haves }));
    const header = await pack.header;
    const keep = header.objects >= UNPACK_LIMIT;
    const packHeader = `--pack_header=${header.version},${header.objects}`;
    // The .keep file protects the new pack from a concurrent gc until a ref holds it; its
    // message is this fetch's own, so that a failed fetch can find and remove it.
    const keepMessage = `kickoff ${randomBytes(8).toString("hex")}`;
    const stored = keep
      ? // A large pack streams into git as it arrives, so indexing overlaps the download.
        await git(["index-pack", "--stdin", "--fix-thin", `--keep=${keepMessage}`, packHeader], { stdin: pack.rest })
      : // A small one is spooled first: a command without streamed input is started by the
        // launcher, far cheaper than a fork of this process.
        await withSpool(spec.mirror, pack.rest, (file) => git(["unpack-objects", "-q", packHeader], { stdinFile: file }));
    // A pack stored whole although the response broke off after it is not vouched for:
    // without its .keep, gc may drop it like any pack no ref holds.
    const dropKeep = () => (keep ? removeKeepFiles(spec.mirror, keepMessage) : Promise.resolve());
    // A network error mid-pack surfaces as git's complaint about a truncated pack; the
    // stream's own error says what really happened.
    if (pack.error() !== null) {
      await dropKeep();
      throw pack.error();
    }
    if (!stored.ok) {
      await dropKeep();
      return stored.cancelled || stored.timedOut ? { ok: false, failure: stored } : { ok: false, fallback: `storing the pack failed: ${firstLine(stored.stderr)}` };
    }
    const pointRef = async (): Promise<GitResult> => {
      const ref = await git(["update-ref", spec.dest, spec.sha]);
      await dropKeep();
      if (ref.ok) {
        rememberTip(spec.mirror, spec.sha);
        await maintainNow(spec.mirror, git);
      }
      return ref;
    };
    // The checkout needs the commit's objects, not the ref: when the commit is known to be
    // in (unpacked as a loose object just now), the ref is updated while the build goes
    // on, the mirror's lock held until it is. Otherwise update-ref, which refuses a
    // missing object, says whether the pack had it.
    if (spec.hold !== undefined && (await looseObjectExists(spec.mirror, spec.sha))) {
      spec.hold(pointRef());
      return { ok: true };
    }
    const ref = await pointRef();
    if (!ref.ok) return ref.cancelled || ref.timedOut ? { ok: false, failure: ref } : { ok: false, fallback: `the pack lacked the commit: ${firstLine(ref.stderr)}` };
    return { ok: true };
  } catch (error) {
    if (spec.signal?.aborted) return { ok: false, failure: { ok: false, cancelled: true, timedOut: false, stderr: "", exitCode: null } };
    if (signal.aborted) return { ok: false, failure: { ok: false, cancelled: false, timedOut: true, stderr: "", exitCode: null } };
    if (error instanceof SmartHttpError) return { ok: false, fallback: error.message };
    throw error;
  }
}

/** Forgets the mirror's tips: it may have been removed, and haves it lacks would spoil a pack. */
export function forgetTips(mirror: string): void {
  tips.delete(mirror);
}

/** Tells the fast path that a commit (fetched some other way) is complete in the mirror. */
export function rememberTip(mirror: string, sha: string): void {
  const list = tips.get(mirror);
  if (list === undefined) return;
  tips.set(mirror, [sha, ...list.filter((t) => t !== sha)].slice(0, MAX_HAVES));
}

/** The server's capabilities, or why the fast path is off for it (remembered for a while). */
async function capabilities(remote: Remote): Promise<Capabilities | string> {
  const known = discovered.get(remote.url);
  if (known && Date.now() - known.at < DISCOVERY_TTL_MS) return known.caps ?? known.why;
  try {
    const caps = await discover(remote);
    discovered.set(remote.url, { at: Date.now(), caps });
    return caps;
  } catch (error) {
    // Only a server that answered, and answered in another protocol, is remembered as
    // such; an outage or a refused token is tried afresh next time.
    if (error instanceof SmartHttpError && error.failure.kind === "unsupported") {
      discovered.set(remote.url, { at: Date.now(), caps: null, why: error.message });
      return error.message;
    }
    throw error;
  }
}

async function mirrorTips(mirror: string, git: (args: string[]) => Promise<GitResult>): Promise<string[]> {
  const known = tips.get(mirror);
  if (known !== undefined) return known;
  const listed = await git(["for-each-ref", "--sort=-committerdate", `--count=${MAX_HAVES}`, "--format=%(objectname)", "refs/kickoff/"]);
  const list = listed.ok ? listed.stdout.split("\n").filter((l) => /^[0-9a-f]{40}$/.test(l)) : [];
  tips.set(mirror, list);
  return list;
}

async function maintainNow(mirror: string, git: (args: string[]) => Promise<GitResult>): Promise<void> {
  const n = fetches.get(mirror) ?? 0;
  fetches.set(mirror, n + 1);
  // gc.autoDetach is off in the mirror: gc runs here, under the mirror lock, not racing the next fetch.
  if (n % MAINTENANCE_EVERY === 0) await git(["maintenance", "run", "--auto", "--quiet"]);
}

interface PackHeader {
  version: number;
  objects: number;
}

/**
 * Splits a pack stream into its 12-byte header ("PACK", version, object count), which
 * decides how git stores it, and the rest, which git reads with `--pack_header`.
 */
function withPackHeader(source: AsyncGenerator<Buffer>): { header: Promise<PackHeader>; rest: AsyncIterable<Uint8Array>; error(): unknown } {
  let failure: unknown = null;
  let leftover: Buffer = Buffer.alloc(0);
  const header = (async () => {
    while (leftover.length < 12) {
      const { value, done } = await source.next();
      if (done) throw new SmartHttpError({ kind: "unsupported", why: "the pack ended inside its header" });
      leftover = Buffer.concat([leftover, value]);
    }
    if (leftover.toString("latin1", 0, 4) !== "PACK") throw new SmartHttpError({ kind: "unsupported", why: "the pack does not start with PACK" });
    const version = leftover.readUInt32BE(4);
    if (version !== 2 && version !== 3) throw new SmartHttpError({ kind: "unsupported", why: `pack version ${version}` });
    const objects = leftover.readUInt32BE(8);
    leftover = leftover.subarray(12);
    return { version, objects };
  })();
  const rest = (async function* () {
    if (leftover.length > 0) yield leftover;
    try {
      for (;;) {
        const { value, done } = await source.next();
        if (done) return;
        yield value;
      }
    } catch (error) {
      failure = error;
      throw error;
    }
  })();
  return { header, rest, error: () => failure };
}

/** Removes the .keep files index-pack wrote with `message` (gitrepository-layout(5): objects/pack/pack-*.keep). */
async function removeKeepFiles(mirror: string, message: string): Promise<void> {
  const dir = path.join(mirror, "objects", "pack");
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith(".keep"))) {
    const text = await readFile(path.join(dir, name), "utf8").catch(() => "");
    if (text.trim() === message) await rm(path.join(dir, name), { force: true });
  }
}

/** git keeps a loose object at objects/<first two hex digits>/<the other 38> (gitrepository-layout(5)). */
async function looseObjectExists(mirror: string, sha: string): Promise<boolean> {
  return access(path.join(mirror, "objects", sha.slice(0, 2), sha.slice(2))).then(
    () => true,
    () => false,
  );
}

/** Writes the stream to a file beside the mirror's objects, runs `use` on it, removes it. */
async function withSpool<T>(mirror: string, data: AsyncIterable<Uint8Array>, use: (file: string) => Promise<T>): Promise<T> {
  const dir = path.join(mirror, "kickoff");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `incoming-${randomBytes(6).toString("hex")}.pack`);
  try {
    await pipeline(data, createWriteStream(file, { mode: 0o600 }));
    return await use(file);
  } finally {
    await rm(file, { force: true });
  }
}

function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .map((l) => l.trim())
      .find(Boolean) ?? "unknown error"
  );
}
