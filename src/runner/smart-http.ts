import { authorizationHeader } from "./git-auth.js";
import { DELIM, FLUSH, type Packet, PktLineError, PktLineReader, packetText, pktLine } from "./pkt-line.js";

// A client for the one request a build's checkout needs from GitHub: protocol v2's `fetch`
// over smart HTTP (gitprotocol-v2(5), gitprotocol-http(5)), answered with a pack that is
// streamed to git to store. Anything unusual (another protocol version, a redirect, a
// section this client does not know) is reported as such, and the caller lets `git fetch`
// handle it instead: this is a fast path, never the only path.

export interface Remote {
  /** The token-free clone URL (https://host/owner/name.git). */
  url: string;
  token: string | null;
  signal?: AbortSignal;
}

export interface Capabilities {
  agent: boolean;
  objectFormat: boolean;
}

/** Why the fast path stopped; `http` carries the status, `error` what the server said. */
export type SmartHttpFailure = { kind: "unsupported"; why: string } | { kind: "http"; status: number } | { kind: "error"; message: string } | { kind: "network"; message: string };

export class SmartHttpError extends Error {
  constructor(readonly failure: SmartHttpFailure) {
    super(describeFailure(failure));
  }
}

export function describeFailure(f: SmartHttpFailure): string {
  if (f.kind === "unsupported") return `the server does not speak git protocol v2 as expected (${f.why})`;
  if (f.kind === "http") return `the server answered HTTP ${f.status}`;
  if (f.kind === "error") return `the server reported: ${f.message}`;
  return `the connection failed: ${f.message}`;
}

const USER_AGENT = "git/kickoff";

/** Asks the server which protocol it speaks (the capability advertisement). */
export async function discover(remote: Remote): Promise<Capabilities> {
  const response = await request(remote, `${remote.url}/info/refs?service=git-upload-pack`, { method: "GET" });
  const type = response.headers.get("content-type") ?? "";
  if (type !== "application/x-git-upload-pack-advertisement") {
    await response.body?.cancel().catch(() => undefined);
    throw new SmartHttpError({ kind: "unsupported", why: `content type ${type || "none"}` });
  }
  const reader = new PktLineReader(bodyOf(response));
  let first = await reader.next().catch(malformed);
  // Servers may open with the v0 service announcement even when answering in v2.
  if (first && packetText(first)?.startsWith("# service=")) {
    await reader.next().catch(malformed);
    first = await reader.next().catch(malformed);
  }
  if (!first || packetText(first) !== "version 2") throw new SmartHttpError({ kind: "unsupported", why: "no version 2 announcement" });
  const caps = new Set<string>();
  for (;;) {
    const packet = await reader.next().catch(malformed);
    if (packet === null || packet.kind === "flush") break;
    const text = packetText(packet);
    if (text !== null) caps.add(text);
  }
  const keys = new Map([...caps].map((c) => (c.includes("=") ? [c.slice(0, c.indexOf("=")), c.slice(c.indexOf("=") + 1)] : [c, ""])));
  if (!keys.has("fetch")) throw new SmartHttpError({ kind: "unsupported", why: "no fetch command" });
  const format = keys.get("object-format");
  if (format !== undefined && format !== "sha1") throw new SmartHttpError({ kind: "unsupported", why: `object format ${format || "unnamed"}` });
  return { agent: keys.has("agent"), objectFormat: format !== undefined };
}

export interface PackRequest {
  wants: string[];
  /** Commits the mirror has with all their history: the server leaves out what they reach. */
  haves: string[];
}

/**
 * Sends one `fetch` with `done` (no negotiation rounds: the haves are the mirror's tips,
 * which are complete) and yields the pack's bytes as they arrive. Throws SmartHttpError.
 */
export async function* fetchPack(remote: Remote, caps: Capabilities, pack: PackRequest): AsyncGenerator<Buffer> {
  const lines = [pktLine("command=fetch\n")];
  if (caps.agent) lines.push(pktLine(`agent=${USER_AGENT}\n`));
  if (caps.objectFormat) lines.push(pktLine("object-format=sha1\n"));
  lines.push(DELIM, pktLine("thin-pack\n"), pktLine("ofs-delta\n"), pktLine("no-progress\n"));
  for (const want of pack.wants) lines.push(pktLine(`want ${want}\n`));
  for (const have of pack.haves) lines.push(pktLine(`have ${have}\n`));
  lines.push(pktLine("done\n"), FLUSH);
  const response = await request(remote, `${remote.url}/git-upload-pack`, {
    method: "POST",
    headers: { "content-type": "application/x-git-upload-pack-request", accept: "application/x-git-upload-pack-result" },
    body: Buffer.concat(lines),
  });
  const reader = new PktLineReader(bodyOf(response));
  let packet = await reader.next().catch(malformed);
  if (packet === null) throw new SmartHttpError({ kind: "unsupported", why: "an empty response" });
  const header = packetText(packet);
  if (header?.startsWith("ERR ")) throw new SmartHttpError({ kind: "error", message: header.slice(4) });
  if (header !== "packfile") throw new SmartHttpError({ kind: "unsupported", why: `section ${JSON.stringify(header?.slice(0, 40) ?? packet.kind)}` });
  for (;;) {
    packet = await reader.next().catch(malformed);
    if (packet === null) throw new SmartHttpError({ kind: "network", message: "the response ended before the pack did" });
    if (packet.kind === "flush") return;
    if (packet.kind !== "data" || packet.data.length === 0) throw malformedPacket(packet);
    const band = packet.data[0];
    if (band === 1) yield packet.data.subarray(1);
    else if (band === 3) throw new SmartHttpError({ kind: "error", message: packet.data.subarray(1).toString("utf8").trim() });
    else if (band !== 2) throw malformedPacket(packet);
  }
}

async function request(remote: Remote, url: string, init: { method: string; headers?: Record<string, string>; body?: Buffer }): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method,
      headers: {
        "git-protocol": "version=2",
        "user-agent": USER_AGENT,
        ...(remote.token ? { authorization: authorizationHeader(remote.token) } : {}),
        ...init.headers,
      },
      ...(init.body ? { body: init.body } : {}),
      // A redirect could take the token to another host; git's own rules handle those.
      redirect: "manual",
      ...(remote.signal ? { signal: remote.signal } : {}),
    });
  } catch (error) {
    if (remote.signal?.aborted) throw error;
    // A certificate Node does not trust (a GitHub Enterprise Server signed by a private CA
    // in the system store, which git reads and Node does not) will not go away by itself:
    // reported as "unsupported", the fast path stays off for this URL for a while.
    const code = (error instanceof Error && error.cause instanceof Error ? (error.cause as NodeJS.ErrnoException).code : undefined) ?? "";
    if (/CERT|SSL|TLS|SELF_SIGNED/.test(code)) throw new SmartHttpError({ kind: "unsupported", why: `TLS: ${code}` });
    throw new SmartHttpError({ kind: "network", message: causeOf(error) });
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new SmartHttpError({ kind: "http", status: response.status });
  }
  return response;
}

async function* bodyOf(response: Response): AsyncGenerator<Uint8Array> {
  if (!response.body) return;
  try {
    for await (const chunk of response.body) yield chunk;
  } catch (error) {
    throw new SmartHttpError({ kind: "network", message: causeOf(error) });
  }
}

function malformed(error: unknown): never {
  if (error instanceof PktLineError) throw new SmartHttpError({ kind: "unsupported", why: error.message });
  throw error;
}

function malformedPacket(packet: Packet): SmartHttpError {
  return new SmartHttpError({ kind: "unsupported", why: `an unexpected ${packet.kind === "data" ? `band ${packet.data[0] ?? "none"}` : packet.kind} packet in the pack` });
}

function causeOf(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}
