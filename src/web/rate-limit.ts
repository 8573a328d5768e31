import { isIP } from "node:net";

export interface RateLimitOptions {
  /** Requests a client may make at once after being idle. */
  burst: number;
  /** Tokens added back per second. */
  perSecond: number;
  /** Clients tracked at most; the least recently seen are forgotten first. */
  maxClients: number;
  now?: () => number;
}

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { burst: 120, perSecond: 20, maxClients: 10_000 };

/**
 * A token bucket per client address. Memory is bounded: a bucket that has refilled to
 * `burst` is the same as no bucket, so idle ones are dropped, and beyond `maxClients` the
 * least recently seen go first. The Map's insertion order is kept as recency order (a
 * client is re-inserted on every request), so both evictions look only at the front.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly idleMs: number;

  constructor(private readonly o: RateLimitOptions) {
    this.now = o.now ?? Date.now;
    this.idleMs = (o.burst / o.perSecond) * 1000;
  }

  get size(): number {
    return this.buckets.size;
  }

  take(address: string): Admission {
    const now = this.now();
    const key = clientKey(address);
    const bucket = this.buckets.get(key);
    let tokens = this.o.burst;
    if (bucket !== undefined) {
      tokens = Math.min(this.o.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.o.perSecond);
      this.buckets.delete(key);
    }
    this.evict(now);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.o.perSecond)) };
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    return { ok: true };
  }

  private evict(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (this.buckets.size < this.o.maxClients && now - bucket.at < this.idleMs) break;
      this.buckets.delete(key);
    }
  }
}

/**
 * IPv6 clients are limited per /64: one host usually holds a whole /64, and could
 * otherwise get a fresh bucket per address.
 */
export function clientKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = "", tail] = address.split("::");
  const groups = (part: string): string[] => (part === "" ? [] : part.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [g])));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill("0"), ...t];
  return `${all
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}
