import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";
import { completedRun, kickoffYml, pushCommit } from "../support/e2e.js";

describe("KICKOFF_CONCURRENCY", () => {
  let h: Harness;
  const journal = path.join(mkdtempSync(path.join(os.tmpdir(), "kickoff-concurrency-")), "journal");

  beforeAll(async () => {
    h = await startHarness({ env: { KICKOFF_CONCURRENCY: "1" } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("runs one build at a time on this machine, in arrival order", async () => {
    const repo = await h.gh.createRepo("acme/serial");
    const step = (n: string) => `env:\n  JOURNAL: ${journal}\nrun: |\n  echo "start ${n}" >> "$JOURNAL"\n  sleep 0.3\n  echo "end ${n}" >> "$JOURNAL"`;
    const sha = await pushCommit(h, repo, "main", { [CONFIG_PATH]: kickoffYml({ one: step("one"), two: step("two"), three: step("three") }) });
    for (const name of ["one", "two", "three"]) expect((await completedRun(h.gh, repo, name, sha)).conclusion).toBe("success");
    expect(readFileSync(journal, "utf8").trim().split("\n")).toEqual(["start one", "end one", "start two", "end two", "start three", "end three"]);
  });
});
