import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { parseDuration } from "../config/duration.js";
import { loadSettings, missingAppCredentials, SettingsError } from "../config/settings.js";
import { describeDelivery, redeliverFailed } from "../redeliver/redeliver-failed.js";
import { credentialsHelp } from "./credentials-help.js";
import { UsageError } from "./usage-error.js";

export interface RedeliverCommandOptions {
  since: string | undefined;
  dryRun: boolean;
  env?: NodeJS.ProcessEnv;
}

// One request at a time and every failure reported: Octokit's retries and write
// throttling (a second between POSTs) would only slow a command someone is watching.
const CliOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options.throttle as object | undefined), enabled: false },
  retry: { enabled: false },
}));

/** `kickoff redeliver [--since 24h] [--dry-run]`. */
export async function redeliverCommand(o: RedeliverCommandOptions): Promise<number> {
  const windowMs = parseDuration(o.since ?? "24h");
  if (windowMs === null || windowMs <= 0) throw new UsageError(`--since expects a duration such as 30m, 24h or 3d, got "${o.since}"`);
  let settings;
  try {
    settings = loadSettings(o.env ?? process.env);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    process.stderr.write(`kickoff: invalid setting ${error.message}\n`);
    return 1;
  }
  const missing = missingAppCredentials(settings).filter((m) => m !== "WEBHOOK_SECRET");
  if (missing.length > 0 || settings.appId === null || settings.privateKey === null) {
    process.stderr.write(`${credentialsHelp(missing, "kickoff redeliver")}\n`);
    return 1;
  }
  const probot = new Probot({ appId: settings.appId, privateKey: settings.privateKey, baseUrl: settings.githubApiUrl, log: pino({ level: "silent" }), Octokit: CliOctokit });
  const sinceMs = Date.now() - windowMs;
  const verb = o.dryRun ? "would redeliver" : "redelivered";
  process.stdout.write(`Failed webhook deliveries since ${new Date(sinceMs).toISOString()} (${o.since ?? "24h"})${o.dryRun ? ", dry run" : ""}:\n`);
  let report;
  try {
    report = await redeliverFailed({
      octokit: await probot.auth(),
      sinceMs,
      dryRun: o.dryRun,
      onRedelivery: (item, error) => process.stdout.write(error === null ? `  ${verb} ${describeDelivery(item)}\n` : `  NOT redelivered ${describeDelivery(item)}: ${error}\n`),
    });
  } catch (error) {
    process.stderr.write(`kickoff redeliver: ${githubFailure(error, settings.githubApiUrl)}\n`);
    return 1;
  }
  const { checked, failedGuids, recoveredGuids, redelivered, errors } = report;
  process.stdout.write(
    `${checked} deliveries checked, ${failedGuids} failed, ${recoveredGuids} of those delivered later; ${redelivered.length} ${o.dryRun ? "would be redelivered (dry run: nothing sent)" : "redelivered"}${errors.length > 0 ? `, ${errors.length} refused by GitHub` : ""}.\n`,
  );
  return errors.length > 0 ? 1 : 0;
}

function githubFailure(error: unknown, apiUrl: string): string {
  const status = (error as { status?: unknown }).status;
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  if (status === 401) return `GitHub refused the App's credentials (HTTP 401): check APP_ID and the private key`;
  if (typeof status === "number") return `GitHub answered HTTP ${status} listing the App's webhook deliveries: ${message}`;
  return `could not reach GitHub at ${apiUrl}: ${message}`;
}
