import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pino, { type Logger } from "pino";
import { loadSettings, type Settings } from "../../src/config/settings.js";
import { type KickoffOptions, type RunningKickoff, startKickoff } from "../../src/kickoff.js";
import { type GitHubStandIn, startGitHubStandIn } from "./github-stand-in.js";
import { sendWebhook, type SentWebhook } from "./webhooks.js";

export const WEBHOOK_SECRET = "It's a Secret to Everybody";

export interface Harness {
  gh: GitHubStandIn;
  kickoff: RunningKickoff;
  settings: Settings;
  dataDir: string;
  webhookUrl: string;
  send(event: string, payload: unknown, opts?: { id?: string }): Promise<SentWebhook>;
  /** Stops Kickoff only (the stand-in and data directory stay), for restart tests. */
  stopKickoff(): Promise<void>;
  restartKickoff(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  worker?: boolean;
  gh?: GitHubStandIn;
  /** Kickoff's logger (default: pino at LOG_LEVEL, to stdout). */
  log?: Logger;
  /** HTTP timeouts, rate limit and `/meta` refresh intervals for this test. */
  http?: KickoffOptions["http"];
}

/** Settings for a Kickoff that talks to the stand-in, as its environment would give them. */
export function standInEnv(gh: GitHubStandIn, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    APP_ID: String(gh.appId),
    PRIVATE_KEY: gh.privateKey,
    WEBHOOK_SECRET,
    GHE_HOST: gh.host,
    GHE_PROTOCOL: "http",
    PORT: "0",
    HOST: "127.0.0.1",
    KICKOFF_DATA_DIR: dataDir,
    KICKOFF_CONCURRENCY: "2",
    KICKOFF_PUBLIC_URL: "http://kickoff.test",
    LOG_LEVEL: process.env.KICKOFF_TEST_LOG ?? "silent",
    ...extra,
  };
}

/** The real Kickoff (intake, planner, outbox, worker, web) in this process, against a stand-in. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const gh = options.gh ?? (await startGitHubStandIn());
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "kickoff-e2e-"));
  const settings = loadSettings(standInEnv(gh, dataDir, options.env));
  const log = options.log ?? pino({ level: settings.logLevel });
  const start = () => startKickoff({ settings, log, server: true, worker: options.worker ?? true, githubTimeoutMs: 2000, ...(options.http ? { http: options.http } : {}) });
  let kickoff = await start();
  let stopped = false;
  const harness: Harness = {
    gh,
    get kickoff() {
      return kickoff;
    },
    settings,
    dataDir,
    get webhookUrl() {
      return `${kickoff.url}/api/github/webhooks`;
    },
    send: (event, payload, opts) => sendWebhook(harness.webhookUrl, { event, payload, secret: WEBHOOK_SECRET, ...(opts?.id ? { id: opts.id } : {}) }),
    async stopKickoff() {
      if (!stopped) await kickoff.close();
      stopped = true;
    },
    async restartKickoff() {
      await harness.stopKickoff();
      kickoff = await start();
      stopped = false;
    },
    async close() {
      await harness.stopKickoff();
      if (!options.gh) await gh.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}
