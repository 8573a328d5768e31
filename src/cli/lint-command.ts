import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CONFIG_PATH, type ConfigProblem, type KickoffConfig } from "../config/kickoff-config.js";
import { parseKickoffConfig } from "../config/parse-kickoff-config.js";
import { sortProblems } from "../config/problem.js";
import { unmatchedPathWarnings } from "../config/unmatched-path-warnings.js";
import { trackedFiles } from "../runner/local-repository.js";
import { removeTree } from "../runner/remove-tree.js";

/**
 * `kickoff lint [file]`: every problem as `file:line:col: severity: message`, errors and
 * warnings (likely mistakes) alike; exit 1 on errors.
 */
export async function lint(file = CONFIG_PATH): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    process.stderr.write(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`);
    return 1;
  }
  const result = parseKickoffConfig(text);
  const problems = result.ok ? [...result.warnings, ...(await pathWarnings(file, text, result.config))] : [...result.errors, ...result.warnings];
  for (const p of sortProblems(problems)) process.stdout.write(`${file}:${p.line}:${p.column}: ${p.severity}: ${p.message}\n`);
  if (result.ok) {
    const warned = problems.length > 0 ? ` (${problems.length} warning${problems.length === 1 ? "" : "s"})` : "";
    process.stdout.write(`${file}: ${result.config.pipelines.length} pipeline(s) OK${warned}\n`);
  }
  return result.ok ? 0 : 1;
}

// Patterns are checked against the repository the file is in, wherever lint runs from.
async function pathWarnings(file: string, text: string, config: KickoffConfig): Promise<ConfigProblem[]> {
  const usesPaths = config.pipelines.some((p) => [p.push, p.pullRequest].some((t) => t !== null && (t.paths !== null || t.pathsIgnore.length > 0)));
  if (!usesPaths) return [];
  // An empty HOME: no user git config decides which files count.
  const home = await mkdtemp(path.join(os.tmpdir(), "kickoff-lint-"));
  try {
    const repo = await trackedFiles(path.dirname(path.resolve(file)), home);
    return repo === null ? [] : unmatchedPathWarnings(config, text, repo.files);
  } finally {
    await removeTree(home).catch(() => undefined);
  }
}
