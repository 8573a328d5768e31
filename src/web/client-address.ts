import type { IncomingMessage } from "node:http";
import { isIP, type BlockList } from "node:net";
import { inList, plainAddress } from "./cidr-list.js";

/**
 * The address a request came from. Without trusted proxies (the default) it is the
 * socket's peer: `X-Forwarded-For` is ignored, since anyone can send it.
 *
 * With KICKOFF_TRUST_PROXY, `X-Forwarded-For` is read from the right: each hop a trusted
 * proxy appended is believed, and the first address that is not a trusted proxy is the
 * client. Entries left of it were written by the client itself and are never read, so a
 * forged header cannot pick the address. Null when a trusted proxy forwarded an entry
 * that is not an address: the caller treats that as unknown (and refuses where it must).
 */
export function clientAddress(req: IncomingMessage, trustedProxies: BlockList | null): string | null {
  const peer = req.socket.remoteAddress;
  if (peer === undefined) return null;
  let current = plainAddress(peer);
  if (trustedProxies === null) return current;
  const hops = forwardedFor(req);
  while (inList(trustedProxies, current)) {
    const next = hops.pop();
    if (next === undefined) return current;
    const address = hopAddress(next);
    if (address === null) return null;
    current = address;
  }
  return current;
}

function forwardedFor(req: IncomingMessage): string[] {
  const raw = req.headersDistinct["x-forwarded-for"] ?? [];
  return raw
    .join(",")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

// Proxies write bare addresses; some add a port (`1.2.3.4:5678`, `[2001:db8::1]:443`).
function hopAddress(entry: string): string | null {
  if (isIP(entry) !== 0) return plainAddress(entry);
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed?.[1] !== undefined && isIP(bracketed[1]) === 6) return plainAddress(bracketed[1]);
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  if (withPort?.[1] !== undefined && isIP(withPort[1]) === 4) return withPort[1];
  return null;
}
