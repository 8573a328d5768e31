// YAML-level problems (syntax, duplicate keys, dangling aliases, collection keys),
// before any schema check.

import { isCollection, visit, type Document, type YAMLError, type YAMLWarning } from "yaml";
import type { ConfigProblem } from "./kickoff-config.js";
import { configError, configWarning } from "./problem.js";
import type { Locator } from "./yaml-locator.js";

function describe(error: YAMLError | YAMLWarning, text: string): string {
  if (error.code === "DUPLICATE_KEY") {
    // yaml's range covers only the key's first character, so read the key from the text.
    const key = (/^("[^"\n]*"|'[^'\n]*'|[^:\n]*)/.exec(text.slice(error.pos[0]))?.[1] ?? "").trim();
    return key === "" ? "duplicate key" : `duplicate key \`${key}\``;
  }
  if (error.code === "MULTIPLE_DOCS") return "the file holds more than one YAML document; use one";
  // yaml's own messages are plain sentences ("Missing closing "quote"); keep them.
  return `YAML syntax error: ${error.message}`;
}

export function yamlErrors(doc: Document, text: string, locator: Locator): ConfigProblem[] {
  const problems = doc.errors.map((error) => configError(describe(error, text), locator.offset(error.pos[0])));
  // yaml only notices a dangling alias when converting to JS, so look for them here.
  visit(doc, {
    Pair(_, pair) {
      // `? [a, b]` keys would be stringified into names nobody wrote.
      if (isCollection(pair.key)) {
        problems.push(configError("keys must be plain names, not lists or mappings", locator.offset(pair.key.range?.[0] ?? 0)));
      }
    },
    Alias(_, alias) {
      if (alias.resolve(doc) === undefined) {
        problems.push(configError(`alias \`*${alias.source}\` refers to no anchor \`&${alias.source}\` defined before it`, locator.offset(alias.range?.[0] ?? 0)));
      }
    },
  });
  return problems;
}

export function yamlWarnings(doc: Document, text: string, locator: Locator): ConfigProblem[] {
  return doc.warnings.map((warning) => configWarning(describe(warning, text), locator.offset(warning.pos[0])));
}
