import { describe, expect, it } from "vitest";
import { classifyFailure } from "../../src/github/retry-policy.js";

const now = Date.UTC(2026, 0, 1);
const error = (status: number | undefined, message = "boom", headers: Record<string, string> = {}) => Object.assign(new Error(message), { status, response: { headers } });

describe("classifyFailure", () => {
  it.each([
    ["a 502", error(502), true],
    ["a 500", error(500), true],
    ["no answer (a network error, no status)", new Error("fetch failed"), true],
    ["a 429", error(429), true],
    ["a secondary rate limit 403", error(403, "You have exceeded a secondary rate limit"), true],
    ["an exhausted quota 403", error(403, "API rate limit exceeded", { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 30) }), true],
    ["a 422 validation error", error(422, "Validation Failed"), false],
    ["a 404", error(404), false],
    ["a plain 403", error(403, "Resource not accessible by integration"), false],
  ])("retries %s: %s", (_name, e, retry) => {
    expect(classifyFailure(e, 1, now, () => 0.5).retry).toBe(retry);
  });

  it("honours retry-after and x-ratelimit-reset", () => {
    expect(classifyFailure(error(429, "slow down", { "retry-after": "7" }), 1, now)).toMatchObject({ retry: true, delayMs: 7000 });
    expect(classifyFailure(error(403, "quota", { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 30) }), 1, now)).toMatchObject({
      retry: true,
      delayMs: 31_000,
    });
  });

  it("backs off exponentially, capped at five minutes", () => {
    const delays = [1, 2, 3, 12].map((attempt) => (classifyFailure(error(503), attempt, now, () => 0.5) as { delayMs: number }).delayMs);
    expect(delays).toEqual([1000, 2000, 4000, 300_000]);
  });

  it("retries expired credentials a few times only", () => {
    expect(classifyFailure(error(401), 1, now).retry).toBe(true);
    expect(classifyFailure(error(401), 5, now).retry).toBe(false);
  });
});
