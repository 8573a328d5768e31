import { describe, expect, it } from "vitest";
import { isSkipCi } from "../../src/config/match-triggers.js";

describe("isSkipCi", () => {
  it.each([
    "Fix typo [skip ci]",
    "[ci skip] docs",
    "[no ci]",
    "[skip kickoff] only for Kickoff",
    "wip [kickoff skip]",
    "Release notes [SKIP CI]",
    "Update\n\nLong body [Ci Skip] here",
    "Update docs\n\nskip-checks: true",
    "Update docs\n\nSkip-Checks:true\n",
  ])("skips %j", (message) => {
    expect(isSkipCi(message)).toBe(true);
  });

  it.each([null, undefined, "", "skip ci", "[skip  ci]", "[skipci]", "(skip ci)", "Fix the skip-ci flag", "skip-checks: false", "mention skip-checks: true inline"])(
    "does not skip %j",
    (message) => {
      expect(isSkipCi(message)).toBe(false);
    },
  );
});
