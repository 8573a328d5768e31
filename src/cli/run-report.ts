// What `kickoff run` prints: each pipeline's output line by line behind a `[name]`
// prefix, a `[kickoff]` progress line when a pipeline starts and ends, and at the end its
// annotations, KICKOFF_SUMMARY texts and a table of results with GitHub's conclusions.

import type { Writable } from "node:stream";
import { formatDuration } from "../config/duration.js";
import type { Annotation } from "../runner/annotations.js";
import type { LocalPipelineResult } from "../runner/local-pipeline.js";
import type { LocalRunReporter } from "../runner/local-run.js";

const LEVEL_WORD: Record<Annotation["level"], string> = { failure: "error", warning: "warning", notice: "notice" };

export class RunReport implements LocalRunReporter {
  constructor(private readonly out: Writable) {}

  note(text: string): void {
    this.out.write(`[kickoff] ${text}\n`);
  }

  started(name: string): void {
    this.note(`${name}: started`);
  }

  output(name: string, line: string): void | Promise<void> {
    // Honour the terminal's (or pipe's) backpressure: the run's output pauses meanwhile.
    if (this.out.write(`[${name}] ${line}\n`)) return;
    return new Promise((resolve) => this.out.once("drain", () => resolve()));
  }

  finished(result: LocalPipelineResult): void {
    const annotations = result.annotations.length > 0 ? ` (${result.annotations.length} annotation${result.annotations.length === 1 ? "" : "s"})` : "";
    this.note(`${result.name}: ${result.conclusion}: ${result.title}${annotations}`);
  }

  /** Annotations, summaries and the results table, after every pipeline ended. */
  final(results: readonly LocalPipelineResult[]): void {
    const annotated = results.filter((r) => r.annotations.length > 0 || r.droppedAnnotations > 0);
    if (annotated.length > 0) {
      this.out.write("\nAnnotations:\n");
      for (const r of annotated) {
        for (const a of r.annotations) this.out.write(`  ${r.name}: ${formatAnnotation(a)}\n`);
        if (r.droppedAnnotations > 0) this.out.write(`  ${r.name}: … and ${r.droppedAnnotations} more\n`);
      }
    }
    for (const r of results) {
      if (r.summary === null) continue;
      this.out.write(`\nSummary of ${r.name}:\n`);
      for (const line of r.summary.trimEnd().split("\n")) this.out.write(`  ${line}\n`);
    }
    this.out.write(`\n${table(results)}`);
  }
}

/** `error src/app.ts:3:5: Title: message`, the position parts only as far as known. */
export function formatAnnotation(a: Annotation): string {
  let where = a.path ?? "";
  if (a.path !== null && a.startLine !== null) {
    where += `:${a.startLine}`;
    if (a.startColumn !== null) where += `:${a.startColumn}`;
  }
  const title = a.title !== null ? `${a.title}: ` : "";
  return `${LEVEL_WORD[a.level]}${where === "" ? "" : ` ${where}`}: ${title}${a.message.replaceAll("\n", "\n    ")}`;
}

function table(results: readonly LocalPipelineResult[]): string {
  const rows = [
    ["PIPELINE", "CONCLUSION", "DURATION", "DETAILS"],
    ...results.map((r) => [r.name, r.conclusion, r.durationMs === null ? "-" : formatDuration(r.durationMs), r.title]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows.map((row) => `${row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join("  ")}\n`).join("");
}
