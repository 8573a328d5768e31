// Which pipelines `kickoff run` runs: the ones the event would start on the bot, or the
// named ones (whatever their triggers) plus everything they need, as `/kickoff run <name>`.

import type { KickoffConfig, Pipeline } from "../config/kickoff-config.js";
import { matchPipelines, type TriggerEvent } from "../config/match-triggers.js";
import { hint } from "../config/problem.js";

export interface LocalPlan {
  /** In config order; `needs` lists only pipelines of this plan. */
  pipelines: Pipeline[];
  /** Deploy pipelines the event matched but that run only when named. */
  deploysLeftOut: string[];
}

export type LocalPlanResult = { ok: true; plan: LocalPlan } | { ok: false; error: string };

export function planLocalRun(config: KickoffConfig, names: readonly string[], trigger: TriggerEvent): LocalPlanResult {
  if (names.length > 0) return planNamed(config, names);
  const matched = matchPipelines(config, trigger);
  // A deploy from a laptop is never what `kickoff run` with no arguments should do; it
  // has no environment secrets anyway. Naming the pipeline runs it on purpose.
  const deploysLeftOut = matched.filter((p) => p.environment !== null).map((p) => p.name);
  const chosen = new Set(matched.filter((p) => p.environment === null).map((p) => p.name));
  return { ok: true, plan: { pipelines: restrict(config, chosen), deploysLeftOut } };
}

function planNamed(config: KickoffConfig, names: readonly string[]): LocalPlanResult {
  const byName = new Map(config.pipelines.map((p) => [p.name, p]));
  const all = config.pipelines.map((p) => p.name);
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length > 0) {
    const list = unknown.map((n) => `\`${n}\`${hint(n, all)}`).join(", ");
    return { ok: false, error: `no pipeline named ${list}; the pipelines are ${all.join(", ")}` };
  }
  const chosen = new Set<string>();
  const add = (name: string): void => {
    if (chosen.has(name)) return;
    chosen.add(name);
    for (const need of byName.get(name)?.needs ?? []) add(need);
  };
  names.forEach(add);
  return { ok: true, plan: { pipelines: restrict(config, chosen), deploysLeftOut: [] } };
}

// The planner's rule: a pipeline waits only on needs that run for the same commit.
function restrict(config: KickoffConfig, chosen: ReadonlySet<string>): Pipeline[] {
  return config.pipelines.filter((p) => chosen.has(p.name)).map((p) => ({ ...p, needs: p.needs.filter((n) => chosen.has(n)) }));
}
