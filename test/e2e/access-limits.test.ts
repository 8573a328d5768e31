// KICKOFF_WEBHOOK_ALLOWED_IPS, KICKOFF_TRUST_PROXY and the per-source rate limit, on the
// real server. Every request here comes from 127.0.0.1; X-Forwarded-For (believed only
// from a trusted proxy) stands in for other sources.
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubStandIn, startGitHubStandIn, type StandInRepo } from "../support/github-stand-in.js";
import { type Harness, startHarness, WEBHOOK_SECRET } from "../support/kickoff-harness.js";
import { eventually, ZERO } from "../support/e2e.js";
import { pushPayload, sendWebhook } from "../support/webhooks.js";

/** A logger whose lines the test can read. */
function capturedLog(): { log: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: "warn" }, stream), lines: () => lines };
}

describe("webhook source allow list and trusted proxies", () => {
  let gh: GitHubStandIn;
  let repo: StandInRepo;
  let h: Harness;
  const logs = capturedLog();

  beforeAll(async () => {
    gh = await startGitHubStandIn();
    repo = await gh.createRepo("acme/access");
    h = await startHarness({
      gh,
      log: logs.log,
      env: { KICKOFF_WEBHOOK_ALLOWED_IPS: "10.0.0.0/8,2001:db8::/32", KICKOFF_TRUST_PROXY: "127.0.0.1" },
      http: { rateLimit: { burst: 5, perSecond: 0.001 } },
    });
  });
  afterAll(async () => {
    await h?.close();
    await gh?.close();
  });

  const deliveries = async () => (await h.kickoff.store.db.selectFrom("deliveries").select("id").execute()).map((d) => d.id);
  const send = (id: string, forwardedFor?: string) =>
    sendWebhook(h.webhookUrl, {
      event: "push",
      id,
      payload: pushPayload(repo, { ref: "refs/heads/main", before: ZERO, after: "a".repeat(40) }),
      secret: WEBHOOK_SECRET,
      ...(forwardedFor ? { headers: { "x-forwarded-for": forwardedFor } } : {}),
    });

  it("accepts webhooks from allowed networks, as the trusted proxy forwards them", async () => {
    expect((await send("from-10", "10.1.2.3")).status).toBe(202);
    expect((await send("from-v6", "2001:db8:1::5")).status).toBe(202);
    expect(await deliveries()).toEqual(expect.arrayContaining(["from-10", "from-v6"]));
  });

  it("answers 403 to every other source, logs it, and stores nothing", async () => {
    const before = await deliveries();
    const refused = [
      await send("from-proxy-itself"),
      await send("from-outside", "198.51.100.7"),
      await send("forged", "10.1.2.3, 198.51.100.7"),
      await send("garbage", "not-an-ip"),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403]);
    expect(JSON.parse(refused[1]!.body)).toEqual({ message: "source address 198.51.100.7 is not allowed" });
    expect(await deliveries()).toEqual(before);
    const lines = logs.lines().filter((l) => typeof l.msg === "string" && l.msg.startsWith("webhook refused"));
    expect(lines.map((l) => [l.status, l.address, l.delivery])).toEqual([
      [403, "127.0.0.1", "from-proxy-itself"],
      [403, "198.51.100.7", "from-outside"],
      [403, "198.51.100.7", "forged"],
      [403, null, "garbage"],
    ]);
    // The audit log's refused requests show them too, without a payload.
    const rows = await eventually(async () => {
      const r = await h.kickoff.store.db.selectFrom("rejected_requests").selectAll().where("status", "=", 403).execute();
      return r.length >= 4 ? r : undefined;
    }, "refused requests recorded");
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => r.remote_address)).toEqual(expect.arrayContaining(["127.0.0.1", "198.51.100.7", null]));
  });

  it("limits each source's requests to everything but the webhook path, with 429 and retry-after", async () => {
    const get = (path: string, forwardedFor = "192.0.2.10") => fetch(`${h.kickoff.url}${path}`, { headers: { "x-forwarded-for": forwardedFor } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get("/healthz")).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await get("/healthz");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Unknown paths count as well; another source has its own allowance.
    expect((await get("/no-such-page")).status).toBe(429);
    expect((await get("/healthz", "192.0.2.11")).status).toBe(200);
    // Webhooks are never rate limited (the allow list guards them).
    const webhooks = await Promise.all(Array.from({ length: 20 }, (_, i) => send(`burst-${i}`, "10.0.0.7")));
    expect(new Set(webhooks.map((r) => r.status))).toEqual(new Set([202]));
  });
});

describe("`github` in the allow list", () => {
  let gh: GitHubStandIn;
  let repo: StandInRepo;
  let h: Harness;

  beforeAll(async () => {
    gh = await startGitHubStandIn();
    repo = await gh.createRepo("acme/meta");
    gh.setHookRanges(["192.0.2.0/24"]);
    // GitHub's /meta is down when Kickoff starts.
    gh.fail({ method: "GET", path: /\/meta$/, status: 502 });
    h = await startHarness({ gh, env: { KICKOFF_WEBHOOK_ALLOWED_IPS: "github,10.0.0.0/8" }, http: { hookRanges: { retryMs: 50, refreshMs: 100 } } });
  });
  afterAll(async () => {
    await h?.close();
    await gh?.close();
  });

  const send = (id: string, forwardedFor?: string) =>
    sendWebhook(h.webhookUrl, {
      event: "push",
      id,
      payload: pushPayload(repo, { ref: "refs/heads/main", before: ZERO, after: "b".repeat(40) }),
      secret: WEBHOOK_SECRET,
      ...(forwardedFor ? { headers: { "x-forwarded-for": forwardedFor } } : {}),
    });
  const stored = async (id: string) => (await h.kickoff.store.db.selectFrom("deliveries").select("id").where("id", "=", id).executeTakeFirst()) !== undefined;

  it("refuses webhooks with 503 until GitHub's ranges are read, then uses them and their refreshes", async () => {
    await eventually(async () => gh.requests.filter((r) => r.path === "/api/v3/meta").length >= 2, "/meta retried");
    const early = await send("early");
    expect(early.status).toBe(503);
    expect(await stored("early")).toBe(false);

    gh.clearFailures();
    // Read: loopback is not among GitHub's ranges, and without a trusted proxy the
    // forwarded address is ignored.
    await eventually(async () => ((await send(`probe-${Date.now()}`)).status === 403 ? true : undefined), "ranges read");
    expect((await send("forwarded", "192.0.2.5")).status).toBe(403);

    // GitHub's next list includes this machine; a scheduled refresh picks it up.
    gh.setHookRanges(["127.0.0.0/8", "2606:50c0::/32"]);
    await eventually(async () => ((await send("after-refresh")).status === 202 ? true : undefined), "refreshed ranges used");
    expect(await stored("after-refresh")).toBe(true);
  });
});
