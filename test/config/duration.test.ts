import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../src/config/duration.js";

describe("parseDuration", () => {
  it.each([
    ["90s", 90_000],
    ["15m", 900_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["1h 30m", 5_400_000],
    ["1h30m15s", 5_415_000],
    ["2m5s", 125_000],
    ["30d", 30 * 86_400_000],
    ["0s", 0],
    ["45", 45_000],
    [" 10m ", 600_000],
  ])("%j → %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "m", "1.5h", "30m1h", "1h1h", "15 minutes", "-5s", "5ms", "10x", "h30m", "1h30"])("%j is not a duration", (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [-5, "0s"],
    [Number.NaN, "0s"],
    [40, "0s"], // under 50 ms rounds to nothing
    [400, "0.4s"],
    [940, "0.9s"],
    [960, "1s"],
    [12_000, "12s"],
    [12_499, "12s"],
    [59_600, "1m"],
    [184_000, "3m 4s"],
    [900_000, "15m"],
    [3_600_000, "1h"],
    [3_720_000, "1h 2m"],
    [3_725_000, "1h 2m"], // hours drop seconds
    [26 * 3_600_000, "26h"],
  ])("%d ms → %j", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("round-trips what it prints for whole minutes and hours", () => {
    for (const ms of [900_000, 3_720_000, 184_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
