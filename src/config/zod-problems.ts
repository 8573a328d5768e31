// Turns zod issues into positioned ConfigProblems. zod knows the path of each mistake;
// the locator knows where that path is written.

import type { z } from "zod";
import type { ConfigProblem } from "./kickoff-config.js";
import { KNOWN_KEYS } from "./kickoff-schema.js";
import { configError, fieldName, hint, subject } from "./problem.js";
import type { ConfigPath, Locator } from "./yaml-locator.js";

export function zodProblems(issues: readonly z.core.$ZodIssue[], base: ConfigPath, locator: Locator): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path.map((segment) => (typeof segment === "number" ? segment : String(segment)))];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) problems.push(unknownKey(path, key, locator));
    } else if (isMissingKey(path, locator)) {
      const parent = path.slice(0, -1);
      const key = String(path[path.length - 1]);
      const where = parent.length === 0 ? "" : `${subject(parent)}: `;
      problems.push(configError(`${where}missing required key \`${key}\``, locator.key(parent)));
    } else {
      problems.push(configError(`${subject(path)} ${issue.message}`, locator.value(path)));
    }
  }
  return problems;
}

function isMissingKey(path: ConfigPath, locator: Locator): boolean {
  const last = path[path.length - 1];
  return typeof last === "string" && locator.node(path) === undefined;
}

function unknownKey(path: ConfigPath, key: string, locator: Locator): ConfigProblem {
  const at = locator.member(path, key);
  const [, pipeline, ...rest] = path;
  if (pipeline === undefined) {
    return configError(`unknown key \`${key}\` at the top level (expected \`pipelines\`)`, at);
  }
  const owner = `pipeline \`${String(pipeline)}\``;
  const section = rest[rest.length - 1];
  if (rest.length === 0) {
    return configError(`unknown key \`${key}\` in ${owner}${hint(key, KNOWN_KEYS.pipeline)}`, at);
  }
  if (section === "on" && rest.length === 1) {
    const events = KNOWN_KEYS.on.join(", ");
    return configError(`unknown event \`${key}\` in \`on\` of ${owner} (expected one of: ${events})${hint(key, KNOWN_KEYS.on)}`, at);
  }
  if (section === "deployment") {
    return configError(`${owner}: \`on.deployment\` takes no settings, found \`${key}\``, at);
  }
  const known = section === "push" ? KNOWN_KEYS.push : section === "pull_request" ? KNOWN_KEYS.pull_request : [];
  return configError(`unknown key \`${key}\` in \`${fieldName(rest)}\` of ${owner}${hint(key, known)}`, at);
}
