/** How a failed GitHub request is handled: later, or never (the reason is kept). */
export type FailureVerdict = { retry: true; delayMs: number; status: number | null; reason: string } | { retry: false; status: number | null; reason: string };

interface HttpishError {
  status?: unknown;
  message?: unknown;
  response?: { headers?: Record<string, string | number | undefined> };
}

const MAX_DELAY_MS = 5 * 60_000;

/**
 * GitHub outages (5xx, no answer), rate limits (429, or 403 with `retry-after` or an
 * exhausted quota) and expired credentials are retried; other 4xx mean the request itself
 * is wrong and retrying cannot help. `retry-after` and `x-ratelimit-reset` are honoured.
 */
export function classifyFailure(error: unknown, attempts: number, now: number, random: () => number = Math.random): FailureVerdict {
  const e = (typeof error === "object" && error !== null ? error : {}) as HttpishError;
  const status = typeof e.status === "number" ? e.status : null;
  const message = typeof e.message === "string" ? e.message.split("\n")[0]!.slice(0, 500) : String(error);
  const reason = status === null ? message : `${status} ${message}`;
  const headers = e.response?.headers ?? {};
  const backoff = Math.min(MAX_DELAY_MS, 1000 * 2 ** Math.max(0, attempts - 1)) * (0.8 + 0.4 * random());

  const retryAfter = Number(headers["retry-after"]);
  if (Number.isFinite(retryAfter) && retryAfter >= 0 && (status === 429 || status === 403 || (status !== null && status >= 500))) {
    return { retry: true, delayMs: Math.min(Math.max(retryAfter * 1000, 1000), 60 * 60_000), status, reason };
  }
  if ((status === 403 || status === 429) && String(headers["x-ratelimit-remaining"]) === "0") {
    const reset = Number(headers["x-ratelimit-reset"]) * 1000;
    return { retry: true, delayMs: Number.isFinite(reset) && reset > now ? reset - now + 1000 : 60_000, status, reason };
  }
  if (status === 403 && /secondary rate limit|abuse/i.test(message)) return { retry: true, delayMs: Math.max(60_000, backoff), status, reason };
  if (status === 429) return { retry: true, delayMs: Math.max(backoff, 60_000), status, reason };
  // Installation tokens can expire between fetching and using them; a few retries refresh.
  if (status === 401 && attempts < 5) return { retry: true, delayMs: backoff, status, reason };
  if (status === null || status >= 500 || status === 408) return { retry: true, delayMs: backoff, status, reason };
  return { retry: false, status, reason };
}
