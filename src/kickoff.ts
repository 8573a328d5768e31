import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Logger } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { kickoffApp } from "./app/kickoff-app.js";
import { type Rejection, webhookIntake } from "./app/intake/webhook-intake.js";
import { loadEnvironments } from "./config/environments.js";
import type { Settings } from "./config/settings.js";
import { probotGitHubApp } from "./github/github-app.js";
import { OutboxSender } from "./github/outbox-sender.js";
import { InboxProcessor } from "./planner/inbox-processor.js";
import type { PlannerDeps } from "./planner/planner-deps.js";
import { redeliverOnStart } from "./redeliver/redeliver-on-start.js";
import { executeBuild } from "./runner/execute-build.js";
import { reapAbandoned } from "./runner/reaper.js";
import { WorkerPool } from "./runner/worker-pool.js";
import { sweepWorkspaces } from "./runner/workspace-sweep.js";
import { claimerDead, workerIdentity } from "./runner/worker-identity.js";
import { InboxWriter } from "./store/inbox-writer.js";
import { releaseDeadClaims } from "./store/release-leases.js";
import { CancelBus } from "./shared/cancel-bus.js";
import { type Clock, systemClock } from "./shared/clock.js";
import { LoopGroup, PollingLoop } from "./shared/loop.js";
import { openStore, type Store } from "./store/database.js";
import { sharedSecret } from "./store/meta.js";
import { listenForWork } from "./store/notifier.js";
import { createHttpServer, type HttpServerOptions } from "./web/http-server.js";
import { accessControl, type AccessOptions } from "./web/access-control.js";
import { readTlsFiles } from "./web/tls.js";
import { buildLinks } from "./web/links.js";
import { AdminAuth } from "./web/admin-session.js";
import { ansiPaletteCss } from "./web/ansi-palette-css.js";
import { Assets } from "./web/assets.js";
import { webRoutes } from "./web/routes.js";
import { KickoffMetrics } from "./observability/metrics.js";
import { RejectionLog } from "./observability/rejection-log.js";
import { RetentionPruner } from "./observability/retention.js";

export interface KickoffOptions {
  settings: Settings;
  log: Logger;
  clock?: Clock;
  /** Webhook intake, planner, outbox and web pages. */
  server: boolean;
  /** Build workers. */
  worker: boolean;
  /** A GitHub request with no answer after this long fails (and is retried); default 30 s. */
  githubTimeoutMs?: number;
  /** Shorter HTTP timeouts, a tighter rate limit or faster `/meta` refreshes, for tests. */
  http?: Pick<HttpServerOptions, "headersTimeoutMs" | "requestTimeoutMs"> & Pick<AccessOptions, "rateLimit" | "hookRanges">;
}

function timedFetch(timeoutMs: number): typeof fetch {
  return (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs) });
}

export interface RunningKickoff {
  /** Where HTTP is served, when `server` is on. */
  url: string | null;
  store: Store;
  close(): Promise<void>;
}

const OUTBOX_SENDERS = 4;

/**
 * Kickoff retries GitHub writes itself, through the outbox (stored, ordered, honouring
 * `retry-after`), so Octokit's own retry and throttling are off. They must be forced off
 * in a function: Probot merges its throttle defaults over plain option objects, and its
 * throttling spaces write requests a second apart.
 */
const KickoffOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  auth: authOnBaseUrl(options),
  throttle: { ...(options.throttle as object | undefined), enabled: false },
  retry: { enabled: false },
}));

/**
 * Probot hands the App's auth strategy a `request` without the GHE base URL. Requests made
 * through an Octokit fetch tokens correctly anyway, but asking for a token directly (the
 * worker's `auth({ type: "installation" })` for git) would go to api.github.com. It went
 * unnoticed while the same process's planner had filled the token cache first; a separate
 * `kickoff worker` has no planner.
 */
function authOnBaseUrl(options: Record<string, unknown>): unknown {
  const auth = options.auth as { request?: { defaults(o: { baseUrl: string }): unknown } } | undefined;
  if (typeof options.baseUrl !== "string" || typeof auth?.request?.defaults !== "function") return options.auth;
  return { ...auth, request: auth.request.defaults({ baseUrl: options.baseUrl }) };
}
const IDLE_POLL_MS = 1000;
/** With nothing expired, retention looks again after this long. */
const RETENTION_IDLE_MS = 60_000;

/** Starts the parts of Kickoff this process runs, all sharing one database. */
export async function startKickoff(o: KickoffOptions): Promise<RunningKickoff> {
  const { settings, log } = o;
  const clock = o.clock ?? systemClock;
  // Read before anything starts: a bad environments file stops startup with one line.
  const environments = loadEnvironments(settings.environmentsFile, process.env);
  // Read before anything starts, like the environments: a bad certificate is one line.
  const tls = o.server && settings.tls ? readTlsFiles(settings.tls.certFile, settings.tls.keyFile) : null;
  const store = await openStore({
    databaseUrl: settings.databaseUrl,
    dataDir: settings.dataDir,
    onThreadError: (thread, error) => log.error({ err: error, thread }, `the SQLite ${thread} thread failed; carrying on without it`),
  });
  const signingKey = await sharedSecret(store.db, "build-link-key");
  const links = buildLinks(settings.publicUrl, signingKey);
  const self = workerIdentity(settings.dataDir);
  const released = await releaseDeadClaims(store.db, self.host, claimerDead);
  if (released > 0) log.warn({ released }, "released reports and deliveries claimed by an earlier process on this machine");

  const probot = new Probot({
    appId: settings.appId ?? undefined,
    privateKey: settings.privateKey ?? undefined,
    secret: settings.webhookSecret ?? undefined,
    baseUrl: settings.githubApiUrl,
    log: log.child({ name: "probot" }),
    Octokit: KickoffOctokit,
    // Without a deadline a GitHub that accepts the connection and never answers would
    // hold an outbox sender forever.
    request: { fetch: timedFetch(o.githubTimeoutMs ?? 30_000) },
  });
  const github = probotGitHubApp(probot);
  const loops: PollingLoop[] = [];
  // Wake-ups go only to the loops that have new rows to look at: every loop woken is a
  // query, and a build makes several wake-ups (planned, started, each report, finished).
  let inboxLoop: PollingLoop | null = null;
  let outboxLoops: LoopGroup | null = null;
  let workerLoop: PollingLoop | null = null;
  const wakeInbox = () => inboxLoop?.wake();
  /** New builds or reports: builds queued or released, check runs and comments to send. */
  const wakeWork = () => {
    outboxLoops?.wakeOne();
    workerLoop?.wake();
  };
  const closers: Array<() => Promise<void>> = [];
  const cancellations = new CancelBus();
  // Server side only: metrics, the planner's deps for the dashboard's buttons, retention.
  const metrics = o.server ? new KickoffMetrics(store, clock) : null;
  let control: PlannerDeps | null = null;

  if (o.server) {
    const deps: PlannerDeps = {
      store,
      clock,
      links,
      log,
      defaultTimeoutMs: settings.defaultTimeoutMs,
      environments,
      wake: wakeWork,
      notifyCancel: (id) => cancellations.notify(id),
    };
    await probot.load(kickoffApp(deps));
    control = deps;
    const inbox = new InboxProcessor({ store, clock, probot, log, workerId: self.id });
    inboxLoop = new PollingLoop("inbox", () => inbox.step(), IDLE_POLL_MS, log);
    loops.push(inboxLoop);
    const senders = Array.from({ length: OUTBOX_SENDERS }, (_, i) => {
      const sender = new OutboxSender({ store, clock, github, log, senderId: `${self.id}/outbox-${i}`, onGitHubError: (status) => metrics?.onGitHubError(status) });
      return new PollingLoop("outbox", () => sender.step(), IDLE_POLL_MS, log);
    });
    outboxLoops = new LoopGroup(senders);
    loops.push(...senders);
    // Retention keeps its own time; no event wakes it.
    const pruner = new RetentionPruner({ store, clock, log, retentionMs: settings.retentionMs });
    loops.push(new PollingLoop("retention", async () => (await pruner.step()) > 0, RETENTION_IDLE_MS, log));
  }

  if (o.worker) {
    const reaperDeps = { store, clock, links, log, self, wake: wakeWork };
    const recovered = await reapAbandoned(reaperDeps, "own-machine");
    if (recovered > 0) log.warn({ recovered }, "recovered builds abandoned by an earlier process on this machine");
    const swept = await sweepWorkspaces(store.db, path.join(settings.dataDir, "builds"));
    if (swept > 0) log.info({ swept }, "removed the workspaces of finished builds a stopped process left behind");
    const pool: WorkerPool = new WorkerPool({
      store,
      clock,
      log,
      self,
      concurrency: settings.concurrency,
      leaseMs: settings.leaseMs,
      onSlotFree: () => workerLoop?.wake(),
      execute: (build, shutdown) =>
        executeBuild(
          {
            store,
            clock,
            github,
            links,
            log,
            dataDir: settings.dataDir,
            workerId: self.id,
            leaseMs: settings.leaseMs,
            heartbeatMs: Math.min(5000, Math.floor(settings.leaseMs / 3)),
            cancellations,
            environments,
            wake: wakeWork,
          },
          build,
          shutdown,
        ),
    });
    workerLoop = new PollingLoop("worker", () => pool.step(), IDLE_POLL_MS, log);
    loops.push(workerLoop);
    const reaper = setInterval(
      () => {
        reapAbandoned(reaperDeps, "expired").catch((error: unknown) => log.error({ err: error }, "reaping abandoned builds failed"));
      },
      Math.max(1000, Math.floor(settings.leaseMs / 2)),
    );
    closers.push(async () => {
      clearInterval(reaper);
      await pool.stop();
    });
  }

  let url: string | null = null;
  if (o.server) {
    if (control === null || metrics === null) throw new Error("the server's planner and metrics are set up above");
    const rejections = new RejectionLog(store, clock, log);
    closers.push(() => rejections.flush());
    const web = {
      store,
      clock,
      log,
      signingKey,
      auth: new AdminAuth(signingKey, settings.adminToken, () => clock.now()),
      assets: new Assets(["kickoff.css", "build-page.js", "favicon.svg"], { "ansi-palette.css": ansiPaletteCss() }),
      control,
      secureCookies: settings.publicUrl.startsWith("https:"),
    };
    const onResult = (event: string, result: string, rejection?: Rejection) => {
      metrics.onDelivery(event, result);
      if (rejection) rejections.record(event, rejection);
    };
    const access = accessControl({ settings, log, onResult, ...o.http });
    closers.push(async () => access.stop());
    const intake = access.guardWebhook(webhookIntake({ inbox: new InboxWriter(store.db), clock, secret: settings.webhookSecret ?? "", log, onStored: wakeInbox, onResult }));
    const server = createHttpServer([{ method: "POST", path: settings.webhookPath, handler: intake }, ...webRoutes(web, metrics)], log, { tls, gate: access.gate, ...o.http });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(settings.port, settings.host ?? undefined, () => resolve());
    });
    const address = server.address() as AddressInfo;
    url = `${tls ? "https" : "http"}://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
    closers.unshift(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
  }

  for (const loop of loops) loop.start();
  if (o.server && settings.redeliverOnStartMs !== null) {
    // Webhooks GitHub could not deliver while Kickoff was down; the inbox ignores repeats.
    const redelivery = redeliverOnStart(probot, settings.redeliverOnStartMs, clock, log);
    closers.unshift(() => redelivery.stop());
  }
  if (store.dialect === "postgres" && settings.databaseUrl) {
    // Other processes' new rows wake this one's loops (LISTEN/NOTIFY); SQLite has no others.
    const listener = listenForWork({
      url: settings.databaseUrl,
      wake: () => {
        wakeInbox();
        wakeWork();
      },
      log,
    });
    await listener.ready;
    closers.push(() => listener.close());
  }
  log.info({ url, database: store.location, worker: o.worker, server: o.server, concurrency: settings.concurrency }, "Kickoff started");

  return {
    url,
    store,
    async close() {
      for (const close of closers) await close();
      await Promise.all(loops.map((l) => l.stop()));
      await store.close();
    },
  };
}
