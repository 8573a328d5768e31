import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Clock } from "../shared/clock.js";
import type { Store } from "../store/database.js";
import { type BuildCounts, finishedBetween, liveBuildCounts, startedBetween } from "../store/metrics-queries.js";
import { type OutboxBacklog, outboxBacklog } from "../store/outbox.js";

// Label values come from fixed sets: an attacker sending made-up X-GitHub-Event headers
// (or a repository with a thousand pipeline names) must not create unbounded series.
const EVENTS = new Set([
  "push",
  "pull_request",
  "check_run",
  "check_suite",
  "issue_comment",
  "deployment",
  "deployment_status",
  "ping",
  "installation",
  "installation_repositories",
  "installation_target",
  "github_app_authorization",
  "meta",
  "create",
  "delete",
  "pull_request_review",
  "pull_request_review_comment",
  "release",
  "repository",
  "status",
  "workflow_run",
  "workflow_job",
  "unknown",
]);
const CONCLUSIONS = new Set(["success", "failure", "cancelled", "timed_out", "skipped", "action_required", "neutral"]);

/** Finished builds are counted once they are this old, so a commit still in flight is not missed. */
const SETTLE_MS = 2000;
const SCAN_LIMIT = 5000;

/**
 * Kickoff's Prometheus metrics. Counters of what this process saw (webhooks, GitHub
 * errors) are counted as they happen. Everything about builds is read from the database,
 * because builds run in other processes, even on other machines (`kickoff worker` serves
 * no HTTP): gauges at scrape time, and finished or started builds by scanning forward
 * from where the last scrape stopped (this process's start, at first). Like any counter,
 * those start from zero when this process starts.
 */
export class KickoffMetrics {
  readonly registry = new Registry();
  private readonly deliveries = new Counter({
    name: "kickoff_webhook_deliveries_total",
    help: "Webhook requests by event and result (accepted, duplicate, rejected_<status>).",
    labelNames: ["event", "result"] as const,
    registers: [this.registry],
  });
  private readonly githubErrors = new Counter({
    name: "kickoff_github_errors_total",
    help: "Failed GitHub API writes by HTTP status (network: no answer).",
    labelNames: ["status"] as const,
    registers: [this.registry],
  });
  private readonly builds = new Counter({ name: "kickoff_builds_total", help: "Finished builds by conclusion.", labelNames: ["conclusion"] as const, registers: [this.registry] });
  private readonly duration = new Histogram({
    name: "kickoff_build_duration_seconds",
    help: "Run time of finished builds.",
    buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
    registers: [this.registry],
  });
  private readonly queueWait = new Histogram({
    name: "kickoff_queue_wait_seconds",
    help: "Time from queued to started.",
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  private finishedFrom: number;
  private startedFrom: number;
  private scanning: Promise<void> = Promise.resolve();
  private snapshot: { builds?: Promise<BuildCounts>; backlog?: Promise<OutboxBacklog> } = {};

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {
    this.finishedFrom = this.startedFrom = clock.now() - SETTLE_MS;
    collectDefaultMetrics({ register: this.registry, prefix: "kickoff_" });
    // Each pair of gauges shares one query per scrape.
    const builds = () => (this.snapshot.builds ??= liveBuildCounts(store.db));
    const backlog = () => (this.snapshot.backlog ??= outboxBacklog(store.db));
    new Gauge({
      name: "kickoff_queue_depth",
      help: "Builds queued and not yet claimed by a worker.",
      registers: [this.registry],
      async collect() {
        this.set((await builds()).queued);
      },
    });
    new Gauge({
      name: "kickoff_builds_running",
      help: "Builds running now, on any machine.",
      registers: [this.registry],
      async collect() {
        this.set((await builds()).running);
      },
    });
    new Gauge({
      name: "kickoff_outbox_pending",
      help: "GitHub writes waiting in the outbox.",
      registers: [this.registry],
      async collect() {
        this.set((await backlog()).pending);
      },
    });
    new Gauge({
      name: "kickoff_outbox_oldest_age_seconds",
      help: "Age of the oldest GitHub write still waiting (0 when none).",
      registers: [this.registry],
      async collect() {
        const oldest = (await backlog()).oldestCreatedAt;
        this.set(oldest === null ? 0 : Math.max(0, (clock.now() - oldest) / 1000));
      },
    });
  }

  onDelivery(event: string, result: string): void {
    this.deliveries.inc({ event: EVENTS.has(event) ? event : "other", result: /^(accepted|duplicate|rejected_\d{3})$/.test(result) ? result : "other" });
  }

  onGitHubError(status: number | null): void {
    this.githubErrors.inc({ status: status !== null && status >= 100 && status <= 599 ? String(status) : "network" });
  }

  /** The exposition text; first counts the builds that finished or started since the last scrape. */
  async scrape(): Promise<string> {
    // A failed scan must not poison the chain for every later scrape.
    this.scanning = this.scanning.catch(() => {}).then(() => this.scan());
    await this.scanning;
    try {
      return await this.registry.metrics();
    } finally {
      this.snapshot = {};
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async scan(): Promise<void> {
    const to = this.clock.now() - SETTLE_MS;
    const db = this.store.db;
    for (let more = true; more && this.finishedFrom < to; ) {
      const { rows, next } = await finishedBetween(db, this.finishedFrom, to, SCAN_LIMIT);
      for (const b of rows) {
        this.builds.inc({ conclusion: b.conclusion !== null && CONCLUSIONS.has(b.conclusion) ? b.conclusion : "other" });
        if (b.started_at !== null) this.duration.observe(Math.max(0, b.finished_at - b.started_at) / 1000);
      }
      more = next < to;
      this.finishedFrom = next;
    }
    for (let more = true; more && this.startedFrom < to; ) {
      const { waits, next } = await startedBetween(db, this.startedFrom, to, SCAN_LIMIT);
      for (const ms of waits) this.queueWait.observe(ms / 1000);
      more = next < to;
      this.startedFrom = next;
    }
  }
}
