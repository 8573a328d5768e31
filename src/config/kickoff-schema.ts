// The shape of `.github/kickoff.yml` as plain data, checked with zod. Only shape lives
// here; rules that need positions or the whole file (names, globs, needs, durations) are
// checked after, in normalize-pipeline.ts and check-needs.ts.
//
// Error texts are predicates ("must be …"): zod-problems.ts prefixes them with where the
// value sits, e.g. "pipeline `test`: `timeout` must be …".
//
// Unions collapse to one opaque "invalid_union" issue in zod 4, losing the path of the
// real mistake, so "string or list" and the `on:` forms are normalised with preprocess
// instead.

import { z } from "zod";
import { PULL_REQUEST_ACTIONS } from "./kickoff-config.js";

function stringToList(value: unknown): unknown {
  return typeof value === "string" ? [value] : value;
}

const patternList = z.preprocess(
  stringToList,
  z.array(z.string({ error: "must be a string (quote patterns that YAML reads as numbers)" }), {
    error: "must be a pattern or a list of patterns",
  }),
);

const pullRequestType = z.enum(PULL_REQUEST_ACTIONS, {
  error: `must be one of: ${PULL_REQUEST_ACTIONS.join(", ")}`,
});

const pushShape = {
  branches: patternList.optional(),
  "branches-ignore": patternList.optional(),
  tags: patternList.optional(),
  "tags-ignore": patternList.optional(),
  paths: patternList.optional(),
  "paths-ignore": patternList.optional(),
};

const pullRequestShape = {
  branches: patternList.optional(),
  "branches-ignore": patternList.optional(),
  types: z.preprocess(stringToList, z.array(pullRequestType, { error: "must be an action or a list of actions" })).optional(),
  paths: patternList.optional(),
  "paths-ignore": patternList.optional(),
};

// `push:` with nothing after it is YAML null and means "the defaults".
const pushTrigger = z.strictObject(pushShape, { error: "must be a mapping of filters, or empty" }).nullable();
const pullRequestTrigger = z.strictObject(pullRequestShape, { error: "must be a mapping of filters, or empty" }).nullable();
const deploymentTrigger = z.strictObject({}, { error: "takes no settings (write `deployment:` with nothing after it)" }).nullable();

const onShape = {
  push: pushTrigger.optional(),
  pull_request: pullRequestTrigger.optional(),
  deployment: deploymentTrigger.optional(),
};

/** `on: push` and `on: [push, pull_request]` are the mapping form with default filters. */
function eventNamesToMapping(value: unknown): unknown {
  if (typeof value === "string") return { [value]: null };
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) {
    return Object.fromEntries(value.map((name: string) => [name, null]));
  }
  return value;
}

const on = z.preprocess(eventNamesToMapping, z.strictObject(onShape, { error: "must be an event name, a list of event names, or a mapping of events" }));

const envValue = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: "must be a string, number or boolean",
});

const pipelineShape = {
  on: on.optional(),
  run: z.string({ error: "must be a string (the script to run)" }),
  timeout: z.union([z.string(), z.number()], { error: "must be a duration like `15m`, or a number of seconds" }).optional(),
  env: z.record(z.string(), envValue, { error: "must be a mapping of variable names to values" }).optional(),
  needs: z.preprocess(stringToList, z.array(z.string({ error: "must be a pipeline name" }), { error: "must be a pipeline name or a list of them" })).optional(),
  environment: z.string({ error: "must be an environment name" }).optional(),
  url: z.string({ error: "must be a string" }).optional(),
  "cancel-superseded": z.boolean({ error: "must be true or false" }).optional(),
  trust: z.enum(["collaborators", "approve"], { error: "must be `collaborators` or `approve`" }).optional(),
};

export const pipelineSchema = z.strictObject(pipelineShape, { error: "must be a mapping with at least `run`" });

// Pipelines are checked one by one (pipelineSchema) so one broken pipeline does not hide
// the problems of the others.
export const kickoffFileSchema = z.strictObject(
  {
    pipelines: z.record(z.string(), z.unknown(), { error: "must be a mapping of pipeline names to pipelines" }),
  },
  { error: "must be a mapping with a `pipelines` key" },
);

export type RawPipeline = z.infer<typeof pipelineSchema>;
export type RawOn = NonNullable<RawPipeline["on"]>;
export type RawPushTrigger = NonNullable<RawOn["push"]>;
export type RawPullRequestTrigger = NonNullable<RawOn["pull_request"]>;

/** Known keys by the kind of mapping they sit in, for "unknown key" messages and hints. */
export const KNOWN_KEYS = {
  top: ["pipelines"],
  pipeline: Object.keys(pipelineShape),
  on: Object.keys(onShape),
  push: Object.keys(pushShape),
  pull_request: Object.keys(pullRequestShape),
  deployment: [],
} as const satisfies Record<string, readonly string[]>;
