// KICKOFF_REDELIVER_ON_START: at start, in the background, recover webhooks that failed
// while this server was down. Failures are logged; they never stop or crash the server.

import type { Logger } from "pino";
import type { Probot } from "probot";
import type { Clock } from "../shared/clock.js";
import { describeDelivery, redeliverFailed } from "./redeliver-failed.js";

export interface BackgroundRedelivery {
  /** Stops paging and redelivering, and waits for what is in flight. */
  stop(): Promise<void>;
}

export function redeliverOnStart(probot: Probot, windowMs: number, clock: Clock, log: Logger): BackgroundRedelivery {
  const abort = new AbortController();
  const sinceMs = clock.now() - windowMs;
  const done = (async () => {
    const octokit = await probot.auth();
    const report = await redeliverFailed({
      octokit,
      sinceMs,
      dryRun: false,
      signal: abort.signal,
      onRedelivery: (item, error) =>
        error === null ? log.info({ delivery: item.guid }, `redelivery requested: ${describeDelivery(item)}`) : log.warn({ delivery: item.guid, error }, "redelivery refused"),
    });
    log.info(
      { checked: report.checked, failed: report.failedGuids, recovered: report.recoveredGuids, redelivered: report.redelivered.length, errors: report.errors.length },
      "redelivery of failed webhooks done",
    );
  })().catch((error: unknown) => {
    if (abort.signal.aborted) return;
    const status = (error as { status?: unknown }).status;
    log.error({ err: error, status }, "redelivering failed webhooks did not work (KICKOFF_REDELIVER_ON_START)");
  });
  return {
    async stop() {
      abort.abort();
      await done;
    },
  };
}
