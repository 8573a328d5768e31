// `needs` across pipelines: every name must exist, and the graph must have no cycle
// (a cycle would leave its builds waiting forever). Problems point at the `needs` entry.

import type { ConfigProblem } from "./kickoff-config.js";
import { configError, hint } from "./problem.js";
import type { ConfigPath, Locator } from "./yaml-locator.js";

export interface NeedsInput {
  name: string;
  /** As written, in order (duplicates allowed: the first one is reported). */
  needs: readonly string[];
}

export function checkNeeds(pipelines: readonly NeedsInput[], allNames: readonly string[], locator: Locator): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const known = new Set(allNames);
  const entryPath = (from: string, to: string): ConfigPath => {
    const pipeline = pipelines.find((p) => p.name === from);
    return ["pipelines", from, "needs", Math.max(0, pipeline?.needs.indexOf(to) ?? 0)];
  };

  for (const pipeline of pipelines) {
    for (const need of new Set(pipeline.needs)) {
      if (!known.has(need)) {
        problems.push(
          configError(`pipeline \`${pipeline.name}\`: \`needs\` names unknown pipeline \`${need}\`${hint(need, allNames)}`, locator.value(entryPath(pipeline.name, need))),
        );
      }
    }
  }

  const edges = new Map(pipelines.map((p) => [p.name, [...new Set(p.needs)].filter((n) => known.has(n))]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const reported = new Set<string>();

  const visit = (name: string): void => {
    state.set(name, "visiting");
    stack.push(name);
    for (const next of edges.get(name) ?? []) {
      const nextState = state.get(next);
      if (nextState === "visiting") {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const key = [...new Set(cycle)].sort().join("\u0000");
        if (!reported.has(key)) {
          reported.add(key);
          const text = next === name ? "`needs` names the pipeline itself, a cycle" : "`needs` makes a cycle";
          problems.push(configError(`pipeline \`${name}\`: ${text}: ${cycle.join(" → ")}`, locator.value(entryPath(name, next))));
        }
      } else if (nextState === undefined) {
        visit(next);
      }
    }
    stack.pop();
    state.set(name, "done");
  };

  for (const pipeline of pipelines) {
    if (!state.has(pipeline.name)) visit(pipeline.name);
  }
  return problems;
}
