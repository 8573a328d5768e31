// The `needs` scheduler of `kickoff run`: pipelines start in config order as soon as
// everything they need succeeded and a slot is free; a pipeline whose need did not succeed
// ends `skipped` without running, as on the bot (planner/release-dependents.ts).

import { mkdir, mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Pipeline } from "../config/kickoff-config.js";
import { freezePipeline } from "../planner/build-config.js";
import { type LocalPipelineResult, type LocalRunTarget, runLocalPipeline } from "./local-pipeline.js";
import { removeTree } from "./remove-tree.js";

export interface LocalRunReporter {
  started(name: string): void;
  output(name: string, line: string): void | Promise<void>;
  spawned?(name: string, processGroup: number): void;
  finished(result: LocalPipelineResult): void;
}

export interface LocalRunOptions {
  /** In config order, `needs` limited to these pipelines (see local-plan.ts). */
  pipelines: Pipeline[];
  target: LocalRunTarget;
  defaultTimeoutMs: number;
  concurrency: number;
  /** Aborting cancels running pipelines (process groups killed) and starts no more. */
  signal: AbortSignal;
  reporter: LocalRunReporter;
  /** Where the run's scratch directory is made; default the system temp directory. */
  tempDir?: string;
}

/** Runs the pipelines; results in config order. Removes everything it created. */
export async function runLocally(o: LocalRunOptions): Promise<LocalPipelineResult[]> {
  const scratchRoot = await mkdtemp(path.join(o.tempDir ?? os.tmpdir(), "kickoff-run-"));
  const results = new Map<string, LocalPipelineResult>();
  const running = new Map<string, Promise<void>>();
  const done = (result: LocalPipelineResult): void => {
    results.set(result.name, result);
    o.reporter.finished(result);
  };

  try {
    for (;;) {
      let progressed = false;
      for (const [index, p] of o.pipelines.entries()) {
        if (results.has(p.name) || running.has(p.name)) continue;
        if (o.signal.aborted) {
          done({ ...notRun(p.name), conclusion: "cancelled", title: "Cancelled before it started" });
          progressed = true;
          continue;
        }
        const failed = p.needs.map((n) => results.get(n)).find((r) => r !== undefined && r.conclusion !== "success");
        if (failed !== undefined) {
          const why = failed.conclusion === "cancelled" ? "was cancelled" : `ended ${failed.conclusion.replace("_", " ")}`;
          done({ ...notRun(p.name), conclusion: "skipped", title: `Skipped: ${failed.name} ${why}` });
          progressed = true;
          continue;
        }
        if (!p.needs.every((n) => results.get(n)?.conclusion === "success") || running.size >= o.concurrency) continue;
        running.set(
          p.name,
          start(o, p, path.join(scratchRoot, String(index)), scratchRoot, done).finally(() => running.delete(p.name)),
        );
        progressed = true;
      }
      // A skip can decide a pipeline earlier in the order (it needs the skipped one), so
      // scan again before waiting.
      if (progressed) continue;
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
  } finally {
    await removeTree(scratchRoot).catch(() => undefined);
  }
  return o.pipelines.map((p) => results.get(p.name) ?? { ...notRun(p.name), conclusion: "cancelled", title: "Not run" });
}

async function start(o: LocalRunOptions, p: Pipeline, scratch: string, scratchRoot: string, done: (r: LocalPipelineResult) => void): Promise<void> {
  o.reporter.started(p.name);
  let result: LocalPipelineResult;
  try {
    await mkdir(scratch, { recursive: true });
    result = await runLocalPipeline(p.name, freezePipeline(p, o.defaultTimeoutMs), o.target, { scratch, dataDir: path.join(scratchRoot, "data") }, o.signal, {
      output: (line) => o.reporter.output(p.name, line),
      spawned: (group) => o.reporter.spawned?.(p.name, group),
    });
  } catch (error) {
    // A bug or a full disk must end this pipeline, not leave the others waiting on it.
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    result = { ...notRun(p.name), conclusion: "failure", title: `Kickoff failed to run it: ${reason}` };
  }
  done(result);
}

function notRun(name: string): Omit<LocalPipelineResult, "conclusion" | "title"> {
  return { name, durationMs: null, annotations: [], droppedAnnotations: 0, summary: null };
}
