// `kickoff lint`: a `paths` or `paths-ignore` pattern that matches no file of the
// repository is almost always a typo (`src/**.ts`, a renamed directory), and silently
// makes a pipeline never run (or never be skipped). Not an error: the file may not exist
// yet. Patterns are matched with the same compiler the trigger rules use.

import { LineCounter, parseDocument } from "yaml";
import { compileGlob } from "./glob.js";
import type { ConfigProblem, KickoffConfig, PullRequestTrigger, PushTrigger } from "./kickoff-config.js";
import { configWarning, subject } from "./problem.js";
import { createLocator } from "./yaml-locator.js";

/** `files`: paths relative to the repository's top directory, `/`-separated. */
export function unmatchedPathWarnings(config: KickoffConfig, text: string, files: readonly string[]): ConfigProblem[] {
  const lineCounter = new LineCounter();
  // The same options parseKickoffConfig uses, so positions point where it would.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true, logLevel: "error" });
  const locator = createLocator(doc, lineCounter, text);
  const problems: ConfigProblem[] = [];
  for (const pipeline of config.pipelines) {
    const triggers: Array<[string, PushTrigger | PullRequestTrigger | null]> = [
      ["push", pipeline.push],
      ["pull_request", pipeline.pullRequest],
    ];
    for (const [event, trigger] of triggers) {
      if (trigger === null) continue;
      const lists: Array<[string, string[]]> = [
        ["paths", trigger.paths ?? []],
        ["paths-ignore", trigger.pathsIgnore],
      ];
      for (const [key, patterns] of lists) {
        patterns.forEach((pattern, index) => {
          const compiled = compileGlob(pattern.startsWith("!") ? pattern.slice(1) : pattern);
          if (!compiled.ok || files.some((file) => compiled.regex.test(file))) return;
          const at = ["pipelines", pipeline.name, "on", event, key, index];
          problems.push(configWarning(`${subject(at)}: \`${pattern}\` matches no file in this repository`, locator.value(at)));
        });
      }
    }
  }
  return problems;
}
