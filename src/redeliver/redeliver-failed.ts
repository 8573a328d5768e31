// Recovering webhooks GitHub could not deliver (Kickoff down, a proxy failing): the App's
// hook deliveries API lists attempts newest first, paged by a cursor in the Link header,
// and `POST /app/hook/deliveries/{id}/attempts` asks GitHub to send one again. Kickoff's
// inbox ignores a GUID it already stored, so redelivering more than needed is harmless.

import type { ProbotOctokit } from "probot";
import { deliveredAtMs, type DeliveryItem, selectRedeliveries } from "./failed-deliveries.js";

/** An Octokit authenticated as the App itself (JWT): `await probot.auth()`. */
export type AppOctokit = InstanceType<typeof ProbotOctokit>;

export interface RedeliverOptions {
  octokit: AppOctokit;
  /** Deliveries before this time (ms since epoch) are left alone. */
  sinceMs: number;
  dryRun: boolean;
  /** Page size, at most 100 (GitHub's maximum). */
  perPage?: number;
  signal?: AbortSignal;
  /** Told about each delivery as it is redelivered (or would be, in a dry run). */
  onRedelivery?(item: DeliveryItem, error: string | null): void;
}

export interface RedeliveryReport {
  checked: number;
  failedGuids: number;
  recoveredGuids: number;
  /** Asked for (or, in a dry run, would be). */
  redelivered: DeliveryItem[];
  /** GitHub refused or did not answer. */
  errors: Array<{ item: DeliveryItem; error: string }>;
}

export async function redeliverFailed(o: RedeliverOptions): Promise<RedeliveryReport> {
  const items: DeliveryItem[] = [];
  const pages = o.octokit.paginate.iterator("GET /app/hook/deliveries", { per_page: Math.min(o.perPage ?? 100, 100) });
  for await (const page of pages) {
    o.signal?.throwIfAborted();
    items.push(...page.data);
    // Newest first: once a page reaches past the window, later pages are older still.
    const last = page.data.at(-1);
    if (last === undefined || deliveredAtMs(last) < o.sinceMs) break;
  }
  const selection = selectRedeliveries(items, o.sinceMs);
  const report: RedeliveryReport = { checked: selection.checked, failedGuids: selection.failedGuids, recoveredGuids: selection.recoveredGuids, redelivered: [], errors: [] };
  for (const item of selection.toRedeliver) {
    o.signal?.throwIfAborted();
    let error: string | null = null;
    if (!o.dryRun) {
      try {
        await o.octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: item.id, request: { signal: o.signal } });
      } catch (caught) {
        error = describe(caught);
      }
    }
    if (error === null) report.redelivered.push(item);
    else report.errors.push({ item, error });
    o.onRedelivery?.(item, error);
  }
  return report;
}

function describe(error: unknown): string {
  const status = (error as { status?: unknown }).status;
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return typeof status === "number" ? `HTTP ${status}: ${message}` : (message ?? "unknown error");
}

/** `push.opened 1234 (guid …) failed at …: Invalid HTTP Response: 503` */
export function describeDelivery(item: DeliveryItem): string {
  const event = item.action ? `${item.event}.${item.action}` : item.event;
  return `${item.id} ${event} (guid ${item.guid}) failed at ${item.delivered_at}: ${item.status || `HTTP ${item.status_code}`}`;
}
