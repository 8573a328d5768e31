import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import { completedRun, kickoffYml, pushCommit } from "../support/e2e.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";

const run = promisify(execFile);

/** Runs a small ESM script in a fresh Node process (pino's transport runs in a worker thread of it). */
async function node(script: string): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "kickoff-logger-"));
  try {
    const file = path.join(dir, "script.mjs");
    writeFileSync(file, script.replace("./src/", `${pathToFileURL(process.cwd()).href}/src/`));
    const { stdout } = await run(process.execPath, ["--import", "tsx", file], { cwd: process.cwd(), timeout: 60_000 });
    return stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("LOG_FORMAT", () => {
  it("pretty prints readable lines (pino-pretty) instead of JSON", async () => {
    const script = `import { createLogger } from "./src/shared/logger.ts";
const log = createLogger("info", "pretty");
log.child({ delivery: "d-123", build: 42 }).info("build started");
log.flush();`;
    const stdout = await node(script);
    const plain = stdout.replace(/\u001b\[[0-9;]*m/g, "");
    expect(plain).toMatch(/INFO.*build started/);
    expect(plain).toContain('delivery: "d-123"');
    expect(plain).toContain("build: 42");
    expect(() => JSON.parse(plain.split("\n")[0] ?? "")).toThrow();
  });

  it("writes JSON lines by default", async () => {
    const script = `import { createLogger } from "./src/shared/logger.ts";
createLogger("info", "json").child({ delivery: "d-1" }).info("hello");`;
    const stdout = await node(script);
    expect(JSON.parse(stdout.trim())).toMatchObject({ level: 30, delivery: "d-1", msg: "hello" });
  });
});

describe("log lines of one delivery and its builds", () => {
  const lines: Array<Record<string, unknown>> = [];
  let h: Harness;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    h = await startHarness({ log: pino({ level: "debug", base: undefined }, sink) });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("carry the delivery id and the build id", async () => {
    const repo = await h.gh.createRepo("acme/logged");
    const sha = await pushCommit(h, repo, "main", { [CONFIG_PATH]: kickoffYml({ test: "run: echo hi" }) });
    const run = await completedRun(h.gh, repo, "test", sha);
    const buildId = Number(run.external_id);
    const build = await h.kickoff.store.db.selectFrom("builds").select("trigger_delivery").where("id", "=", buildId).executeTakeFirstOrThrow();
    const delivery = build.trigger_delivery;
    expect(delivery).toBeTruthy();
    const ofDelivery = lines.filter((l) => l.delivery === delivery);
    const ofBuild = lines.filter((l) => l.build === buildId);
    expect(ofDelivery.length).toBeGreaterThan(0);
    expect(ofBuild.length).toBeGreaterThan(0);
    // The build's own lines name the delivery that started it.
    const finished = ofBuild.find((l) => l.conclusion === "success");
    expect(finished).toMatchObject({ delivery, build: buildId, pipeline: "test" });
  });
});
