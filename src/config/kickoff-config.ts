// The validated, normalised shape of `.github/kickoff.yml` (DESIGN.md section 2).
// Everything downstream (planner, runner, `kickoff lint`) reads these types, never raw YAML.

export const CONFIG_PATH = ".github/kickoff.yml";

/** Check runs use this name for config errors, so no pipeline may take it. */
export const RESERVED_PIPELINE_NAME = "kickoff";

export const PULL_REQUEST_ACTIONS = [
  "opened",
  "synchronize",
  "reopened",
  "edited",
  "closed",
  "ready_for_review",
  "converted_to_draft",
  "labeled",
  "unlabeled",
  "assigned",
  "unassigned",
  "review_requested",
  "review_request_removed",
  "locked",
  "unlocked",
] as const;

export type PullRequestAction = (typeof PULL_REQUEST_ACTIONS)[number];

export const DEFAULT_PULL_REQUEST_TYPES: readonly PullRequestAction[] = ["opened", "synchronize", "reopened"];

export interface PushTrigger {
  /** null = every branch; [] = no branch (e.g. a trigger that lists only tags). */
  branches: string[] | null;
  branchesIgnore: string[];
  /** [] = no tags. `tags-ignore` alone is normalised to tags ["**"] plus the ignore list. */
  tags: string[];
  tagsIgnore: string[];
  /** null = no `paths` filter. */
  paths: string[] | null;
  pathsIgnore: string[];
}

export interface PullRequestTrigger {
  /** Filters the pull request's BASE branch; null = every base branch. */
  branches: string[] | null;
  branchesIgnore: string[];
  types: PullRequestAction[];
  paths: string[] | null;
  pathsIgnore: string[];
}

export type PipelineTrust = "collaborators" | "approve";

export interface Pipeline {
  name: string;
  /** null = push does not start it. */
  push: PushTrigger | null;
  pullRequest: PullRequestTrigger | null;
  /**
   * A `deployment` webhook for `environment` starts it. True for every pipeline with an
   * `environment` (DESIGN.md section 5); `on: { deployment: }` only lets a deploy
   * pipeline opt out of push and pull_request.
   */
  deployment: boolean;
  run: string;
  /** null = server default (KICKOFF_DEFAULT_TIMEOUT, 30m). */
  timeoutMs: number | null;
  /** YAML numbers and booleans are kept as written ("1.10" stays "1.10"); null becomes "". */
  env: Record<string, string>;
  needs: string[];
  /** Non-null makes it a deploy pipeline. */
  environment: string | null;
  url: string | null;
  cancelSuperseded: boolean;
  trust: PipelineTrust;
  /** 1-based line of the pipeline's key. */
  line: number;
}

export interface KickoffConfig {
  /** In file order. */
  pipelines: Pipeline[];
}

export interface ConfigProblem {
  message: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  severity: "error" | "warning";
}

export type ConfigParseResult = { ok: true; config: KickoffConfig; warnings: ConfigProblem[] } | { ok: false; errors: ConfigProblem[]; warnings: ConfigProblem[] };
