import type { IncomingMessage } from "node:http";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitHubHookRanges } from "../../src/app/intake/github-meta.js";
import { WebhookAllowList } from "../../src/app/intake/ip-allow-list.js";
import { loadSettings, SettingsError } from "../../src/config/settings.js";
import { blockListOf, parseCidrList, type Cidr } from "../../src/web/cidr-list.js";
import { clientAddress } from "../../src/web/client-address.js";
import { clientKey, RateLimiter } from "../../src/web/rate-limit.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/github-stand-in.js";

function cidrs(text: string): Cidr[] {
  const parsed = parseCidrList(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cidrs;
}

function request(peer: string, forwardedFor?: string | string[]): IncomingMessage {
  const values = forwardedFor === undefined ? undefined : Array.isArray(forwardedFor) ? forwardedFor : [forwardedFor];
  return { socket: { remoteAddress: peer }, headersDistinct: values ? { "x-forwarded-for": values } : {} } as unknown as IncomingMessage;
}

function settingError(env: Record<string, string>): string {
  try {
    loadSettings(env);
  } catch (error) {
    if (error instanceof SettingsError) return error.message;
    throw error;
  }
  throw new Error("no error");
}

describe("settings", () => {
  it("reads the allow list, trusted proxies and TLS files", () => {
    const s = loadSettings({
      KICKOFF_WEBHOOK_ALLOWED_IPS: "10.0.0.0/8, 2001:db8::/32,127.0.0.1,github",
      KICKOFF_TRUST_PROXY: "127.0.0.1,::1",
      KICKOFF_TLS_CERT: "/c.pem",
      KICKOFF_TLS_KEY: "/k.pem",
    });
    expect(s.webhookAllowedIps?.github).toBe(true);
    expect(s.webhookAllowedIps?.cidrs.map((c) => `${c.address}/${c.prefix}`)).toEqual(["10.0.0.0/8", "2001:db8::/32", "127.0.0.1/32"]);
    expect(s.trustProxy.map((c) => c.address)).toEqual(["127.0.0.1", "::1"]);
    expect(s.tls).toEqual({ certFile: "/c.pem", keyFile: "/k.pem" });
    const none = loadSettings({});
    expect([none.webhookAllowedIps, none.trustProxy, none.tls]).toEqual([null, [], null]);
  });

  it.each([
    [{ KICKOFF_WEBHOOK_ALLOWED_IPS: "10.0.0.0/33" }, /^KICKOFF_WEBHOOK_ALLOWED_IPS: "10.0.0.0\/33" is not an IPv4 or IPv6 address or CIDR/],
    [{ KICKOFF_WEBHOOK_ALLOWED_IPS: "githbu" }, /^KICKOFF_WEBHOOK_ALLOWED_IPS: "githbu" is not/],
    [{ KICKOFF_WEBHOOK_ALLOWED_IPS: " , " }, /^KICKOFF_WEBHOOK_ALLOWED_IPS: lists no address/],
    [{ KICKOFF_WEBHOOK_ALLOWED_IPS: "fe80::1%eth0" }, /^KICKOFF_WEBHOOK_ALLOWED_IPS: "fe80::1%eth0"/],
    [{ KICKOFF_TRUST_PROXY: "2" }, /^KICKOFF_TRUST_PROXY: "2" is not .*list the proxies' addresses/],
    [{ KICKOFF_TLS_CERT: "/c.pem" }, /^KICKOFF_TLS_KEY: must be set together with KICKOFF_TLS_CERT/],
    [{ KICKOFF_TLS_KEY: "/k.pem" }, /^KICKOFF_TLS_CERT: must be set together with KICKOFF_TLS_KEY/],
  ])("refuses %j with one line naming the setting", (env, message) => {
    const error = settingError(env);
    expect(error).toMatch(message);
    expect(error).not.toContain("\n");
  });
});

describe("client address", () => {
  it("is the socket's peer by default, whatever X-Forwarded-For says", () => {
    expect(clientAddress(request("203.0.113.9", "10.1.2.3"), null)).toBe("203.0.113.9");
    expect(clientAddress(request("::ffff:203.0.113.9"), null)).toBe("203.0.113.9");
  });

  it("believes only the hops trusted proxies appended, from the right", () => {
    const trusted = blockListOf(cidrs("127.0.0.1,10.0.0.0/8,::1"));
    expect(clientAddress(request("127.0.0.1", "198.51.100.7"), trusted)).toBe("198.51.100.7");
    // Two proxies: nginx at 10.0.0.5 behind a load balancer at 127.0.0.1.
    expect(clientAddress(request("127.0.0.1", "198.51.100.7, 10.0.0.5"), trusted)).toBe("198.51.100.7");
    // What the client wrote itself (left of the first untrusted hop) is never read.
    expect(clientAddress(request("127.0.0.1", "10.9.9.9, 198.51.100.7"), trusted)).toBe("198.51.100.7");
    expect(clientAddress(request("127.0.0.1", ["1.1.1.1", "198.51.100.7"]), trusted)).toBe("198.51.100.7");
    // A request not from a trusted proxy: its header is ignored.
    expect(clientAddress(request("198.51.100.7", "10.1.1.1"), trusted)).toBe("198.51.100.7");
    expect(clientAddress(request("::1", "[2001:db8::7]:443"), trusted)).toBe("2001:db8::7");
    expect(clientAddress(request("::ffff:127.0.0.1", "192.0.2.1:5000"), trusted)).toBe("192.0.2.1");
    // Every hop trusted: the leftmost is the client.
    expect(clientAddress(request("127.0.0.1", "10.0.0.9"), trusted)).toBe("10.0.0.9");
    // A trusted proxy passed on garbage: unknown, never a guess.
    expect(clientAddress(request("127.0.0.1", "not-an-address"), trusted)).toBeNull();
    expect(clientAddress(request("127.0.0.1"), trusted)).toBe("127.0.0.1");
  });
});

describe("webhook allow list", () => {
  it("matches IPv4, IPv6 and IPv4-mapped addresses against both families' subnets", () => {
    const list = new WebhookAllowList(cidrs("10.0.0.0/8,2001:db8::/32,127.0.0.1"), false);
    expect(["10.200.0.1", "::ffff:10.0.0.1", "2001:db8:ffff::1", "127.0.0.1"].map((a) => list.check(a))).toEqual(["allowed", "allowed", "allowed", "allowed"]);
    expect(["11.0.0.1", "2001:db9::1", "127.0.0.2", "::1"].map((a) => list.check(a))).toEqual(["refused", "refused", "refused", "refused"]);
    expect(list.check(null)).toBe("refused");
  });

  it("with `github`, answers not-ready until GitHub's ranges are known", () => {
    const list = new WebhookAllowList(cidrs("10.0.0.0/8"), true);
    expect(list.check("10.0.0.1")).toBe("allowed");
    expect(list.check("140.82.112.5")).toBe("not-ready");
    list.setGitHubRanges(cidrs("140.82.112.0/20,2606:50c0::/32"));
    expect(list.check("140.82.112.5")).toBe("allowed");
    expect(list.check("2606:50c0::9")).toBe("allowed");
    expect(list.check("8.8.8.8")).toBe("refused");
  });
});

describe("rate limiter", () => {
  it("lets a burst through, then answers with when to come back, and refills", () => {
    let now = 0;
    const limiter = new RateLimiter({ burst: 3, perSecond: 0.5, maxClients: 100, now: () => now });
    expect([1, 2, 3].map(() => limiter.take("192.0.2.1").ok)).toEqual([true, true, true]);
    const refused = limiter.take("192.0.2.1");
    expect(refused).toEqual({ ok: false, retryAfterSeconds: 2 });
    // Another client has its own bucket.
    expect(limiter.take("192.0.2.2").ok).toBe(true);
    now += 2000;
    expect(limiter.take("192.0.2.1").ok).toBe(true);
    expect(limiter.take("192.0.2.1").ok).toBe(false);
  });

  it("keeps memory bounded: idle clients are forgotten, and at most maxClients are kept", () => {
    let now = 0;
    const limiter = new RateLimiter({ burst: 10, perSecond: 10, maxClients: 1000, now: () => now });
    for (let i = 0; i < 50_000; i++) limiter.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(limiter.size).toBeLessThanOrEqual(1000);
    // A bucket refills in 1 s; after that every client is idle and goes.
    now += 1500;
    limiter.take("192.0.2.1");
    expect(limiter.size).toBe(1);
  });

  it("counts an IPv6 /64 as one client", () => {
    expect(clientKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:db8:1:2:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
    expect(clientKey("192.0.2.1")).toBe("192.0.2.1");
    let now = 0;
    const limiter = new RateLimiter({ burst: 1, perSecond: 0.001, maxClients: 10, now: () => now });
    expect(limiter.take("2001:db8:1:2::1").ok).toBe(true);
    expect(limiter.take("2001:db8:1:2::2").ok).toBe(false);
    expect(limiter.take("2001:db8:1:3::1").ok).toBe(true);
  });
});

describe("GitHub's hook ranges from GET /meta", () => {
  let gh: GitHubStandIn;
  const log = pino({ level: "silent" });
  beforeAll(async () => {
    gh = await startGitHubStandIn();
  });
  afterAll(async () => {
    await gh?.close();
  });

  async function until(fn: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!fn()) {
      if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it("retries with back-off until the first read works, then refreshes and keeps the ranges on failure", async () => {
    gh.clearFailures();
    gh.setHookRanges(["192.0.2.0/24"]);
    gh.fail({ method: "GET", path: /\/meta$/, status: 500, times: 2 });
    const list = new WebhookAllowList([], true);
    const ranges = new GitHubHookRanges({ apiUrl: gh.apiUrl, allowList: list, log, refreshMs: 60_000, retryMs: 20 });
    try {
      expect(await ranges.refresh()).toBe(false);
      expect(list.check("192.0.2.1")).toBe("not-ready");
      // The retries run by themselves: one more failure, then success.
      await until(() => list.gitHubRangesKnown, "the ranges were read");
      expect(list.check("192.0.2.1")).toBe("allowed");
      const reads = gh.requests.filter((r) => r.path === "/api/v3/meta");
      expect(reads.map((r) => r.fault ?? r.status)).toEqual([500, 500, 200]);

      // A later failure keeps what was read; a later success replaces it.
      gh.fail({ method: "GET", path: /\/meta$/, status: 503, times: 1 });
      expect(await ranges.refresh()).toBe(false);
      expect(list.check("192.0.2.1")).toBe("allowed");
      gh.setHookRanges(["198.51.100.0/24", "2001:db8::/32"]);
      expect(await ranges.refresh()).toBe(true);
      expect(list.check("192.0.2.1")).toBe("refused");
      expect(list.check("2001:db8::5")).toBe("allowed");
    } finally {
      ranges.stop();
    }
  });

  it("refreshes on its own schedule", async () => {
    gh.clearFailures();
    gh.setHookRanges(["192.0.2.0/24"]);
    const list = new WebhookAllowList([], true);
    const ranges = new GitHubHookRanges({ apiUrl: gh.apiUrl, allowList: list, log, refreshMs: 30 });
    try {
      ranges.start();
      await until(() => list.check("192.0.2.1") === "allowed", "first read");
      gh.setHookRanges(["203.0.113.0/24"]);
      await until(() => list.check("203.0.113.1") === "allowed", "a scheduled refresh");
      expect(list.check("192.0.2.1")).toBe("refused");
    } finally {
      ranges.stop();
    }
  });

  it("treats an answer without usable ranges as a failure", async () => {
    gh.clearFailures();
    gh.setHookRanges(["not a cidr"]);
    const list = new WebhookAllowList([], true);
    const ranges = new GitHubHookRanges({ apiUrl: gh.apiUrl, allowList: list, log, retryMs: 60_000 });
    try {
      expect(await ranges.refresh()).toBe(false);
      expect(list.gitHubRangesKnown).toBe(false);
    } finally {
      ranges.stop();
    }
  });
});
