// Building ConfigProblems with messages that read well on their own, e.g. in a check run
// title or as `kickoff lint` output: "pipeline `deploy`: `needs` names unknown pipeline `tset`".

import type { ConfigProblem } from "./kickoff-config.js";
import type { ConfigPath, Position } from "./yaml-locator.js";

export function configError(message: string, at: Position): ConfigProblem {
  return { message, line: at.line, column: at.column, severity: "error" };
}

export function configWarning(message: string, at: Position): ConfigProblem {
  return { message, line: at.line, column: at.column, severity: "warning" };
}

/** `on.push.branches[0]` for the part of a path below a pipeline. */
export function fieldName(path: ConfigPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? segment : `.${segment}`;
  }
  return out;
}

/**
 * Prefix naming what a path points into: "pipeline `test`: `timeout`",
 * "pipeline `test`", "`pipelines`", or "the file".
 */
export function subject(path: ConfigPath): string {
  const [top, pipeline, ...rest] = path;
  if (top === undefined) return "the file";
  if (top !== "pipelines" || pipeline === undefined) return `\`${fieldName(path)}\``;
  const name = `pipeline \`${String(pipeline)}\``;
  return rest.length === 0 ? name : `${name}: \`${fieldName(rest)}\``;
}

export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * The closest candidate for a "did you mean" hint: at most two edits away, and fewer for
 * short words, so `foo` does not suggest `on`.
 */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const allowed = Math.min(2, Math.max(1, Math.floor(candidate.length / 3)));
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= allowed && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance: a swap of two neighbours (`tset`) counts as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i += 1) {
    const row: number[] = [];
    for (let j = 0; j <= b.length; j += 1) {
      if (i === 0 || j === 0) {
        row.push(i + j);
        continue;
      }
      const up = rows[i - 1] ?? [];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((up[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (up[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}

export function hint(word: string, candidates: readonly string[]): string {
  const suggestion = closest(word, candidates);
  return suggestion === null ? "" : ` (did you mean \`${suggestion}\`?)`;
}
