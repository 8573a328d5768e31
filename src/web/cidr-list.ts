import { BlockList, isIP } from "node:net";

/** One allowed or trusted network, as written in a setting: `10.0.0.0/8`, `::1`. */
export interface Cidr {
  address: string;
  prefix: number;
  family: "ipv4" | "ipv6";
}

export type CidrParse = { ok: true; cidrs: Cidr[] } | { ok: false; message: string };

/** `10.0.0.0/8` or a single address; null when it is neither. */
export function parseCidr(text: string): Cidr | null {
  const [address = "", prefixText, extra] = text.trim().split("/");
  if (extra !== undefined) return null;
  const version = isIP(address);
  // A zone (`fe80::1%eth0`) names an interface, not a network.
  if (version === 0 || address.includes("%")) return null;
  const family = version === 4 ? "ipv4" : "ipv6";
  const max = version === 4 ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: max, family };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return null;
  return { address, prefix: Number(prefixText), family };
}

/** A comma-separated list of CIDRs; `keywords` are words the caller handles itself. */
export function parseCidrList(text: string, keywords: readonly string[] = []): CidrParse & { keywords?: string[] } {
  const cidrs: Cidr[] = [];
  const words: string[] = [];
  for (const item of text.split(",").map((s) => s.trim())) {
    if (item === "") continue;
    if (keywords.includes(item.toLowerCase())) {
      words.push(item.toLowerCase());
      continue;
    }
    const cidr = parseCidr(item);
    if (cidr === null) return { ok: false, message: `"${item}" is not an IPv4 or IPv6 address or CIDR (such as 10.0.0.0/8 or 2001:db8::/32)` };
    cidrs.push(cidr);
  }
  return { ok: true, cidrs, keywords: words };
}

/**
 * Node's BlockList does the subnet matching for both families, and matches IPv4-mapped
 * IPv6 addresses (`::ffff:10.1.2.3`, what a dual-stack socket reports) against IPv4 rules.
 */
export function blockListOf(cidrs: readonly Cidr[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) list.addSubnet(c.address, c.prefix, c.family);
  return list;
}

/** Whether `address` (as a socket or X-Forwarded-For gives it) is in `list`. */
export function inList(list: BlockList, address: string): boolean {
  const version = isIP(address);
  if (version === 0) return false;
  return list.check(address, version === 4 ? "ipv4" : "ipv6");
}

/** `::ffff:10.1.2.3` → `10.1.2.3`, so logs, rate-limit keys and checks see one form. */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address;
}
