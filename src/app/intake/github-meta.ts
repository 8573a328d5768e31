import type { Logger } from "pino";
import { type Cidr, parseCidr } from "../../web/cidr-list.js";
import type { WebhookAllowList } from "./ip-allow-list.js";

export interface HookRangesOptions {
  /** REST base, e.g. https://api.github.com (GitHub Enterprise: https://HOST/api/v3). */
  apiUrl: string;
  allowList: WebhookAllowList;
  log: Logger;
  /** After a successful read; GitHub changes its ranges rarely, and announces it. */
  refreshMs?: number;
  /** First retry after a failed read; doubled each time, up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  timeoutMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Keeps GitHub's webhook source ranges (`GET /meta`, its `hooks` list) in the allow list:
 * read at start, then daily. A failed read keeps the ranges already known and is retried
 * with back-off; until the first read succeeds, webhooks from outside the listed networks
 * are refused (see WebhookAllowList.check).
 */
export class GitHubHookRanges {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private failures = 0;
  private readonly abort = new AbortController();

  constructor(private readonly o: HookRangesOptions) {}

  start(): void {
    void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One read; schedules the next. Never throws. */
  async refresh(): Promise<boolean> {
    let ok = false;
    try {
      const cidrs = await this.read();
      this.o.allowList.setGitHubRanges(cidrs);
      this.failures = 0;
      ok = true;
      this.o.log.info({ ranges: cidrs.length }, "read GitHub's webhook address ranges");
    } catch (error) {
      this.failures += 1;
      const known = this.o.allowList.gitHubRangesKnown;
      this.o.log[known ? "warn" : "error"](
        { err: error, attempt: this.failures },
        known
          ? "could not refresh GitHub's webhook address ranges; keeping the ones read before"
          : "could not read GitHub's webhook address ranges; refusing webhooks from outside the other allowed networks until it works",
      );
    }
    if (!this.stopped) {
      const retry = Math.min((this.o.retryMs ?? 1000) * 2 ** Math.max(0, this.failures - 1), this.o.maxRetryMs ?? 10 * 60_000);
      this.timer = setTimeout(() => void this.refresh(), ok ? (this.o.refreshMs ?? DAY_MS) : retry);
      this.timer.unref();
    }
    return ok;
  }

  private async read(): Promise<Cidr[]> {
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.timeoutMs ?? 15_000)]);
    const res = await fetch(`${this.o.apiUrl.replace(/\/+$/, "")}/meta`, {
      headers: { accept: "application/vnd.github+json", "user-agent": "kickoff", "x-github-api-version": "2022-11-28" },
      signal,
    });
    if (!res.ok) throw new Error(`GET /meta answered HTTP ${res.status}`);
    const body = (await res.json()) as { hooks?: unknown };
    if (!Array.isArray(body.hooks)) throw new Error("GET /meta has no `hooks` list");
    const cidrs = body.hooks.map((h) => (typeof h === "string" ? parseCidr(h) : null)).filter((c): c is Cidr => c !== null);
    // An empty list would refuse every webhook; that is a broken answer, not a policy.
    if (cidrs.length === 0) throw new Error("GET /meta lists no webhook address ranges");
    return cidrs;
  }
}
