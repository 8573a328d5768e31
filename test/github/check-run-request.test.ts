import { describe, expect, it } from "vitest";
import { tailBytes, truncateBytes } from "../../src/github/byte-limits.js";
import { completedRequests, inProgressRequest, queuedRequest } from "../../src/github/check-run-request.js";
import type { Annotation } from "../../src/runner/annotations.js";
import type { Build } from "../../src/store/schema.js";
import { newBuild } from "../support/builds.js";

function build(overrides: Partial<Build> = {}): Build {
  return {
    ...newBuild(),
    id: 7,
    attempt: 1,
    cancel_requested: 0,
    fork: 0,
    started_at: 1000,
    finished_at: 13_000,
    queued_at: 0,
    conclusion: "success",
    title: "Passed in 12s",
    exit_code: 0,
    summary: null,
    annotations: null,
    worker_id: null,
    worker_host: null,
    process_group: null,
    lease_expires_at: null,
    cancel_reason: null,
    check_run_id: null,
    superseded_by: null,
    environment: null,
    deployment_id: null,
    ...overrides,
  } as Build;
}

const annotation = (i: number): Annotation => ({
  level: "warning",
  message: `w${i}`,
  path: "a.ts",
  startLine: i + 1,
  endLine: i + 1,
  startColumn: null,
  endColumn: null,
  title: null,
});

describe("check run requests", () => {
  it("offers Cancel while queued or running, and removes it when completed", () => {
    const b = build({ status: "queued" });
    expect(queuedRequest(b, "http://k/builds/7").actions.map((a) => a.identifier)).toEqual(["cancel"]);
    expect(inProgressRequest(b, "http://k/builds/7", 1000).actions.map((a) => a.identifier)).toEqual(["cancel"]);
    const [done] = completedRequests(build({ status: "done" }), "http://k/builds/7", { logTail: "", annotations: [], droppedAnnotations: 0, runSummary: null });
    expect(done).toMatchObject({ status: "completed", conclusion: "success", external_id: "7", details_url: "http://k/builds/7", actions: [] });
  });

  it("sends annotations 50 per request, all before the one that completes the run", () => {
    const requests = completedRequests(build({ status: "done" }), "u", {
      logTail: "",
      annotations: Array.from({ length: 120 }, (_, i) => annotation(i)),
      droppedAnnotations: 0,
      runSummary: null,
    });
    expect(requests.map((r) => [r.status, r.output.annotations?.length])).toEqual([
      ["in_progress", 50],
      ["in_progress", 50],
      ["completed", 20],
    ]);
  });

  it("keeps summary and text within GitHub's 65,535 bytes, cutting neither characters nor fences", () => {
    const [done] = completedRequests(build({ status: "done" }), "u", {
      logTail: "é```😀\n".repeat(40_000),
      annotations: [],
      droppedAnnotations: 0,
      runSummary: "ü".repeat(70_000),
    });
    expect(Buffer.byteLength(done!.output.summary, "utf8")).toBeLessThanOrEqual(65_535);
    expect(Buffer.byteLength(done!.output.text!, "utf8")).toBeLessThanOrEqual(65_535);
    expect(done!.output.text).not.toContain("\uFFFD");
    expect(done!.output.text).toMatch(/^Last lines of the log:\n\n````\n/);
    expect(done!.output.text).toMatch(/\n````\n$/);
  });

  it("cuts UTF-8 text on character boundaries", () => {
    expect(truncateBytes("aéb", 2)).toBe("a");
    expect(truncateBytes("aéb", 3)).toBe("aé");
    expect(truncateBytes("abcdef", 4, "…")).toBe("a…");
    expect(tailBytes("line one\nline two\n", 12)).toBe("line two\n");
    expect(tailBytes("😀😀", 5)).toBe("😀");
  });
});
