// `on:` as written → PushTrigger / PullRequestTrigger with Actions' defaults made explicit,
// so matching never has to know which keys were left out.

import { validatePattern } from "./glob.js";
import { DEFAULT_PULL_REQUEST_TYPES, type ConfigProblem, type PullRequestAction, type PullRequestTrigger, type PushTrigger } from "./kickoff-config.js";
import type { RawPullRequestTrigger, RawPushTrigger } from "./kickoff-schema.js";
import { configError, subject } from "./problem.js";
import type { ConfigPath, Locator } from "./yaml-locator.js";

// Fresh objects each time: pipelines must not share mutable arrays.
export function defaultPush(): PushTrigger {
  return { branches: null, branchesIgnore: [], tags: [], tagsIgnore: [], paths: null, pathsIgnore: [] };
}

export function defaultPullRequest(): PullRequestTrigger {
  return { branches: null, branchesIgnore: [], types: [...DEFAULT_PULL_REQUEST_TYPES], paths: null, pathsIgnore: [] };
}

type FilterKey = "branches" | "tags" | "paths";
type FilterSource = Partial<Record<FilterKey | `${FilterKey}-ignore`, string[]>>;

// Actions forbids a filter and its `-ignore` twin together (`!` patterns do both). Kickoff
// keeps that rule for branches and tags but allows `paths` with `paths-ignore`, as the
// example in DESIGN.md section 2 uses them: a changed file counts when it matches `paths`
// and not `paths-ignore`.
const EXCLUSIVE: ReadonlySet<FilterKey> = new Set(["branches", "tags"]);

function checkFilters(raw: FilterSource, keys: readonly FilterKey[], path: ConfigPath, locator: Locator): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of keys) {
    const ignoreKey = `${key}-ignore` as const;
    if (EXCLUSIVE.has(key) && raw[key] !== undefined && raw[ignoreKey] !== undefined) {
      problems.push(
        configError(`${subject(path)} cannot have both \`${key}\` and \`${ignoreKey}\` (use \`!\` patterns in \`${key}\` to exclude)`, locator.key([...path, ignoreKey])),
      );
    }
    for (const listKey of [key, ignoreKey]) {
      raw[listKey]?.forEach((pattern, index) => {
        const problem = validatePattern(pattern);
        const itemPath = [...path, listKey, index];
        if (problem !== null) problems.push(configError(`${subject(itemPath)}: ${problem}`, locator.value(itemPath)));
      });
    }
  }
  return problems;
}

export function normalizePush(raw: RawPushTrigger | null, path: ConfigPath, locator: Locator): { trigger: PushTrigger; problems: ConfigProblem[] } {
  if (raw === null) return { trigger: defaultPush(), problems: [] };
  const problems = checkFilters(raw, ["branches", "tags", "paths"], path, locator);
  const hasBranchFilter = raw.branches !== undefined || raw["branches-ignore"] !== undefined;
  const hasTagFilter = raw.tags !== undefined || raw["tags-ignore"] !== undefined;
  // Actions: a push trigger that filters only tags never runs for branches, and only
  // branches never for tags; with neither it runs for every branch (and, here, no tag).
  const branches = raw.branches ?? (hasTagFilter && !hasBranchFilter ? [] : null);
  const tags = raw.tags ?? (raw["tags-ignore"] !== undefined ? ["**"] : []);
  return {
    trigger: {
      branches,
      branchesIgnore: raw["branches-ignore"] ?? [],
      tags,
      tagsIgnore: raw["tags-ignore"] ?? [],
      paths: raw.paths ?? null,
      pathsIgnore: raw["paths-ignore"] ?? [],
    },
    problems,
  };
}

export function normalizePullRequest(raw: RawPullRequestTrigger | null, path: ConfigPath, locator: Locator): { trigger: PullRequestTrigger; problems: ConfigProblem[] } {
  if (raw === null) return { trigger: defaultPullRequest(), problems: [] };
  const problems = checkFilters(raw, ["branches", "paths"], path, locator);
  const types: PullRequestAction[] = raw.types === undefined ? [...DEFAULT_PULL_REQUEST_TYPES] : [...new Set(raw.types)];
  return {
    trigger: {
      branches: raw.branches ?? null,
      branchesIgnore: raw["branches-ignore"] ?? [],
      types,
      paths: raw.paths ?? null,
      pathsIgnore: raw["paths-ignore"] ?? [],
    },
    problems,
  };
}
