// `.github/kickoff.yml` text → KickoffConfig, or every problem found, each with a line and
// column. An invalid file is an expected outcome (it becomes the `kickoff` check run), so
// this never throws on any input.

import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { checkNeeds } from "./check-needs.js";
import type { ConfigParseResult, ConfigProblem, Pipeline } from "./kickoff-config.js";
import { kickoffFileSchema, pipelineSchema } from "./kickoff-schema.js";
import { checkPipelineName, normalizePipeline } from "./normalize-pipeline.js";
import { configError, sortProblems } from "./problem.js";
import { unreachablePipelineWarnings } from "./trigger-warnings.js";
import { yamlErrors, yamlWarnings } from "./yaml-problems.js";
import { createLocator, type Locator } from "./yaml-locator.js";
import { zodProblems } from "./zod-problems.js";

export { CONFIG_PATH } from "./kickoff-config.js";
export { firstProblemTitle } from "./first-problem-title.js";

// Billion-laughs guard: each alias may expand at most this many nodes when converted.
const MAX_ALIAS_COUNT = 100;

const FILE_START = { line: 1, column: 1 };

function failed(errors: ConfigProblem[], warnings: ConfigProblem[]): ConfigParseResult {
  return { ok: false, errors: sortProblems(errors), warnings: sortProblems(warnings) };
}

export function parseKickoffConfig(text: string): ConfigParseResult {
  const lineCounter = new LineCounter();
  // `merge`: `<<: *defaults` is common in Drone and Woodpecker files. `logLevel`: every
  // problem is returned as a value, never printed to the server's stderr.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true, logLevel: "error" });
  const locator = createLocator(doc, lineCounter, text);
  const warnings = yamlWarnings(doc, text, locator);

  const syntaxErrors = yamlErrors(doc, text, locator);
  if (syntaxErrors.length > 0) return failed(syntaxErrors, warnings);

  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    return failed([configError("the file is empty: it needs a `pipelines:` mapping", FILE_START)], warnings);
  }
  if (!isMap(root)) {
    return failed([configError("the file must be a mapping with a `pipelines:` key", locator.value([]))], warnings);
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return failed([configError(`the file could not be read: ${reason}`, FILE_START)], warnings);
  }

  const file = kickoffFileSchema.safeParse(data);
  if (!file.success) return failed(zodProblems(file.error.issues, [], locator), warnings);

  const names = inFileOrder(Object.keys(file.data.pipelines), locator);
  if (names.length === 0) {
    return failed([configError("`pipelines` must define at least one pipeline", locator.key(["pipelines"]))], warnings);
  }

  const errors: ConfigProblem[] = [];
  const pipelines: Pipeline[] = [];
  for (const name of names) {
    errors.push(...checkPipelineName(name, locator));
    const parsed = pipelineSchema.safeParse(file.data.pipelines[name]);
    if (!parsed.success) {
      errors.push(...zodProblems(parsed.error.issues, ["pipelines", name], locator));
      continue;
    }
    const { pipeline, problems } = normalizePipeline(name, parsed.data, locator);
    for (const problem of problems) (problem.severity === "error" ? errors : warnings).push(problem);
    pipelines.push(pipeline);
  }
  errors.push(...checkNeeds(pipelines, names, locator));

  if (errors.length > 0) return failed(errors, warnings);
  warnings.push(...unreachablePipelineWarnings(pipelines, locator));
  return { ok: true, config: { pipelines }, warnings: sortProblems(warnings) };
}

// Object.keys puts integer-like keys ("1", "2") first, so restore the order of the file.
function inFileOrder(names: string[], locator: Locator): string[] {
  const position = (name: string) => locator.key(["pipelines", name]);
  return [...names].sort((a, b) => {
    const pa = position(a);
    const pb = position(b);
    return pa.line - pb.line || pa.column - pb.column;
  });
}
