import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KickoffMetrics } from "../../src/observability/metrics.js";
import { ManualClock } from "../../src/shared/clock.js";
import type { Store } from "../../src/store/database.js";
import { enqueueOutbox } from "../../src/store/outbox.js";
import { insertBuild } from "../../src/store/queue.js";
import { newBuild } from "../support/builds.js";
import { type Harness, startHarness, WEBHOOK_SECRET } from "../support/kickoff-harness.js";
import { storeKinds } from "../support/stores.js";
import { sendWebhook } from "../support/webhooks.js";
import { http } from "../support/web-client.js";

/** The value of one sample line, e.g. `kickoff_builds_total{conclusion="success"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

for (const kind of storeKinds()) {
  describe(`metrics from the database on ${kind.name}`, () => {
    let store: Store & { cleanup(): Promise<void> };
    let clock: ManualClock;

    beforeEach(async () => {
      store = await kind.open();
      clock = new ManualClock();
    });
    afterEach(async () => {
      await store.cleanup();
    });

    it("reads gauges at scrape time and counts each finished build once, whichever machine ran it", async () => {
      const metrics = new KickoffMetrics(store, clock);
      const now = clock.now();
      await insertBuild(store.db, newBuild({ status: "queued", queued_at: now }));
      await insertBuild(store.db, newBuild({ status: "queued", queued_at: now }));
      await insertBuild(store.db, newBuild({ status: "running", queued_at: now - 4000, started_at: now - 1000 }));
      // Finished before this process started: not this process's to count.
      await insertBuild(store.db, newBuild({ status: "done", conclusion: "failure", queued_at: now - 60_000, started_at: now - 50_000, finished_at: now - 40_000 }));
      await enqueueOutbox(store.db, new ManualClock(now - 90_000), { key: "k", kind: "check_run", installationId: 1, repository: "acme/shop", buildId: 1, payload: {} });

      let text = await metrics.scrape();
      expect(sample(text, "kickoff_queue_depth")).toBe(2);
      expect(sample(text, "kickoff_builds_running")).toBe(1);
      expect(sample(text, "kickoff_outbox_pending")).toBe(1);
      expect(sample(text, "kickoff_outbox_oldest_age_seconds")).toBe(90);
      expect(sample(text, 'kickoff_builds_total{conclusion="failure"}')).toBeUndefined();
      // Started a second ago: counted once it is older than the settling time (commits in flight).
      expect(sample(text, "kickoff_queue_wait_seconds_count")).toBe(0);

      clock.advance(10_000);
      await insertBuild(store.db, newBuild({ status: "done", conclusion: "success", queued_at: now, started_at: now + 1000, finished_at: now + 13_000 - 5000 }));
      await insertBuild(store.db, newBuild({ status: "done", conclusion: "success", queued_at: now, started_at: now + 2000, finished_at: now + 4000 }));
      text = await metrics.scrape();
      expect(sample(text, 'kickoff_builds_total{conclusion="success"}')).toBe(2);
      expect(sample(text, "kickoff_build_duration_seconds_count")).toBe(2);
      expect(sample(text, "kickoff_build_duration_seconds_sum")).toBe(9);
      expect(sample(text, 'kickoff_build_duration_seconds_bucket{le="5"}')).toBe(1);
      expect(sample(text, "kickoff_queue_wait_seconds_count")).toBe(3);
      expect(sample(text, "kickoff_queue_wait_seconds_sum")).toBe(3 + 1 + 2);

      // A second scrape counts nothing twice.
      clock.advance(10_000);
      text = await metrics.scrape();
      expect(sample(text, 'kickoff_builds_total{conclusion="success"}')).toBe(2);
      expect(sample(text, "kickoff_queue_wait_seconds_count")).toBe(3);
    });

    it("keeps label values to fixed sets", async () => {
      const metrics = new KickoffMetrics(store, clock);
      metrics.onDelivery("push", "accepted");
      metrics.onDelivery("made-up-event-1", "rejected_401");
      metrics.onDelivery("made-up-event-2", "rejected_401");
      metrics.onDelivery("push", "something odd");
      metrics.onGitHubError(502);
      metrics.onGitHubError(null);
      const text = await metrics.scrape();
      expect(sample(text, 'kickoff_webhook_deliveries_total{event="push",result="accepted"}')).toBe(1);
      expect(sample(text, 'kickoff_webhook_deliveries_total{event="other",result="rejected_401"}')).toBe(2);
      expect(sample(text, 'kickoff_webhook_deliveries_total{event="push",result="other"}')).toBe(1);
      expect(sample(text, 'kickoff_github_errors_total{status="502"}')).toBe(1);
      expect(sample(text, 'kickoff_github_errors_total{status="network"}')).toBe(1);
    });
  });
}

describe("GET /metrics on a running Kickoff", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ worker: false, env: { KICKOFF_ADMIN_TOKEN: "admin-token-for-tests-0123456789" } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("serves every metric DESIGN names, in Prometheus text format, counting webhooks as intake answers them", async () => {
    const repo = await h.gh.createRepo("acme/metrics");
    const payload = { ref: "refs/heads/main", repository: { full_name: repo.fullName }, installation: { id: 1 } };
    expect((await h.send("ping", payload)).status).toBe(202);
    expect((await sendWebhook(h.webhookUrl, { event: "push", payload, secret: "wrong secret" })).status).toBeGreaterThanOrEqual(400);
    const id = "1d7e5ad0-0000-4000-8000-000000000001";
    await h.send("ping", payload, { id });
    expect((await h.send("ping", payload, { id })).status).toBe(200);

    const res = await http(h, "/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [
      "kickoff_webhook_deliveries_total",
      "kickoff_builds_total",
      "kickoff_queue_depth",
      "kickoff_builds_running",
      "kickoff_build_duration_seconds",
      "kickoff_queue_wait_seconds",
      "kickoff_outbox_pending",
      "kickoff_outbox_oldest_age_seconds",
      "kickoff_github_errors_total",
    ]) {
      expect(res.text).toContain(`# TYPE ${name} `);
    }
    expect(sample(res.text, 'kickoff_webhook_deliveries_total{event="ping",result="accepted"}')).toBe(2);
    expect(sample(res.text, 'kickoff_webhook_deliveries_total{event="ping",result="duplicate"}')).toBe(1);
    expect(res.text).toMatch(/kickoff_webhook_deliveries_total\{event="push",result="rejected_(400|401)"\} 1/);
    expect(WEBHOOK_SECRET).not.toBe("wrong secret");
  });
});
