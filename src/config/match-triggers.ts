// Which pipelines an event starts, with GitHub Actions' filter rules
// (https://docs.github.com/actions/writing-workflows/workflow-syntax-for-github-actions#onpushpull_requestpull_request_targetpathspaths-ignore).

import { compileFilter } from "./glob.js";
import type { KickoffConfig, Pipeline, PullRequestTrigger, PushTrigger } from "./kickoff-config.js";

export { isSkipCi } from "./skip-ci.js";

export type TriggerEvent =
  | {
      event: "push";
      refType: "branch" | "tag";
      refName: string;
      /** null: unknown or too many to list, so path filters pass. */
      changedFiles: string[] | null;
    }
  | { event: "pull_request"; action: string; baseBranch: string; changedFiles: string[] | null }
  /** A deployment someone else created (DESIGN.md section 5). */
  | { event: "deployment"; environment: string };

// Configs are matched against many events; compile each pattern list once.
const filterCache = new WeakMap<string[], (name: string) => boolean>();

function filter(patterns: string[]): (name: string) => boolean {
  let compiled = filterCache.get(patterns);
  if (compiled === undefined) {
    compiled = compileFilter(patterns);
    filterCache.set(patterns, compiled);
  }
  return compiled;
}

/** `include` null = everything; an empty ignore list ignores nothing. */
function passes(name: string, include: string[] | null, ignore: string[]): boolean {
  if (include !== null && !filter(include)(name)) return false;
  return ignore.length === 0 || !filter(ignore)(name);
}

// A changed file counts when it matches `paths` (if set) and not `paths-ignore`; the
// trigger passes when any file counts. With one of the two lists this is exactly Actions:
// `paths` runs if some file matches (an empty commit matches nothing), `paths-ignore`
// skips only when every file is ignored. An empty change set with only `paths-ignore`
// still runs: nothing was ignored.
function pathsPass(trigger: PushTrigger | PullRequestTrigger, changedFiles: string[] | null): boolean {
  if (changedFiles === null) return true;
  const { paths, pathsIgnore } = trigger;
  if (paths === null && pathsIgnore.length === 0) return true;
  if (paths === null && changedFiles.length === 0) return true;
  const included = paths === null ? () => true : filter(paths);
  const ignored = pathsIgnore.length === 0 ? () => false : filter(pathsIgnore);
  return changedFiles.some((file) => included(file) && !ignored(file));
}

function pushMatches(push: PushTrigger, e: Extract<TriggerEvent, { event: "push" }>): boolean {
  if (e.refType === "tag") {
    // Tags: [] means no tag; path filters are not evaluated for tags (as in Actions).
    return push.tags.length > 0 && passes(e.refName, push.tags, push.tagsIgnore);
  }
  return passes(e.refName, push.branches, push.branchesIgnore) && pathsPass(push, e.changedFiles);
}

function pullRequestMatches(pr: PullRequestTrigger, e: Extract<TriggerEvent, { event: "pull_request" }>): boolean {
  return (pr.types as string[]).includes(e.action) && passes(e.baseBranch, pr.branches, pr.branchesIgnore) && pathsPass(pr, e.changedFiles);
}

export function pipelineMatches(p: Pipeline, e: TriggerEvent): boolean {
  switch (e.event) {
    case "push":
      return p.push !== null && pushMatches(p.push, e);
    case "pull_request":
      return p.pullRequest !== null && pullRequestMatches(p.pullRequest, e);
    case "deployment":
      return p.deployment && p.environment === e.environment;
  }
}

/** Pipelines the event starts, in config order. */
export function matchPipelines(config: KickoffConfig, e: TriggerEvent): Pipeline[] {
  return config.pipelines.filter((p) => pipelineMatches(p, e));
}

function hasPathFilter(trigger: PushTrigger | PullRequestTrigger | null): boolean {
  return trigger !== null && (trigger.paths !== null || trigger.pathsIgnore.length > 0);
}

/**
 * Whether the result of matchPipelines depends on the changed files, so the planner asks
 * GitHub for them only when some pipeline that otherwise matches has a path filter.
 */
export function needsChangedFiles(config: KickoffConfig, e: TriggerEvent): boolean {
  if (e.event === "deployment" || (e.event === "push" && e.refType === "tag")) return false;
  const unfiltered: TriggerEvent = { ...e, changedFiles: null };
  return config.pipelines.some((p) => pipelineMatches(p, unfiltered) && hasPathFilter(e.event === "push" ? p.push : p.pullRequest));
}
