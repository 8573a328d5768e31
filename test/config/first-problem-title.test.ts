import { describe, expect, it } from "vitest";
import type { ConfigProblem } from "../../src/config/kickoff-config.js";
import { firstProblemTitle, parseKickoffConfig } from "../../src/config/parse-kickoff-config.js";

function problem(message: string, line = 3): ConfigProblem {
  return { message, line, column: 5, severity: "error" };
}

describe("firstProblemTitle", () => {
  it("names the file, the first problem and its line", () => {
    expect(firstProblemTitle([problem("pipeline `deploy`: `needs` names unknown pipeline `tset`", 7), problem("other")])).toBe(
      "Invalid .github/kickoff.yml: pipeline `deploy`: `needs` names unknown pipeline `tset` (line 7)",
    );
  });

  it("works on parser output", () => {
    const result = parseKickoffConfig("pipelines:\n  test:\n    run: x\n    timout: 5m\n");
    if (result.ok) throw new Error("expected errors");
    expect(firstProblemTitle(result.errors)).toBe("Invalid .github/kickoff.yml: unknown key `timout` in pipeline `test` (did you mean `timeout`?) (line 4)");
  });

  it("stays within 255 characters and keeps the line", () => {
    const title = firstProblemTitle([problem("x".repeat(1000), 12345)]);
    expect(title.length).toBeLessThanOrEqual(255);
    expect(title).toMatch(/^Invalid \.github\/kickoff\.yml: x+… \(line 12345\)$/);
  });

  it("never splits a surrogate pair when it shortens", () => {
    const title = firstProblemTitle([problem("🚀".repeat(300))]);
    expect(title.length).toBeLessThanOrEqual(255);
    expect(title).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it("puts a multi-line message on one line", () => {
    expect(firstProblemTitle([problem("a\n  b", 1)])).toBe("Invalid .github/kickoff.yml: a b (line 1)");
  });

  it("still reads well with no problems", () => {
    expect(firstProblemTitle([])).toBe("Invalid .github/kickoff.yml");
  });
});
