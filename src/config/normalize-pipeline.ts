// One schema-valid pipeline → Pipeline, plus the checks on it that need positions:
// its name, timeout, env names, environment, and its trigger filters.

import { isScalar } from "yaml";
import { parseDuration } from "./duration.js";
import { RESERVED_PIPELINE_NAME, type ConfigProblem, type Pipeline } from "./kickoff-config.js";
import type { RawPipeline } from "./kickoff-schema.js";
import { defaultPullRequest, defaultPush, normalizePullRequest, normalizePush } from "./normalize-triggers.js";
import { configError, configWarning, subject } from "./problem.js";
import type { ConfigPath, Locator } from "./yaml-locator.js";

const NAME = /^[A-Za-z0-9_.-]+$/;
const MAX_NAME_LENGTH = 100;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Kickoff sets these for every run (DESIGN.md section 3); a pipeline must not shadow them.
const RESERVED_ENV = new Set(["CI", "KICKOFF", "PATH", "HOME"]);
const MAX_TIMEOUT_MS = 24 * 3_600_000;

/** Problems with a pipeline's name, reported at its key. */
export function checkPipelineName(name: string, locator: Locator): ConfigProblem[] {
  const at = locator.key(["pipelines", name]);
  if (name === RESERVED_PIPELINE_NAME) {
    return [configError(`pipeline name \`${name}\` is reserved for Kickoff's own configuration check`, at)];
  }
  if (name.length > MAX_NAME_LENGTH) {
    return [configError(`pipeline name \`${name.slice(0, 40)}…\` is longer than ${MAX_NAME_LENGTH} characters`, at)];
  }
  if (!NAME.test(name)) {
    return [configError(`pipeline name \`${name}\` may only contain letters, digits, \`_\`, \`.\` and \`-\``, at)];
  }
  return [];
}

export function normalizePipeline(name: string, raw: RawPipeline, locator: Locator): { pipeline: Pipeline; problems: ConfigProblem[] } {
  const base: ConfigPath = ["pipelines", name];
  const problems: ConfigProblem[] = [];
  const environment = raw.environment ?? null;

  let push = null;
  let pullRequest = null;
  if (raw.on === undefined) {
    push = defaultPush();
    pullRequest = defaultPullRequest();
  } else {
    if (raw.on.push !== undefined) {
      const result = normalizePush(raw.on.push, [...base, "on", "push"], locator);
      push = result.trigger;
      problems.push(...result.problems);
    }
    if (raw.on.pull_request !== undefined) {
      const result = normalizePullRequest(raw.on.pull_request, [...base, "on", "pull_request"], locator);
      pullRequest = result.trigger;
      problems.push(...result.problems);
    }
    if (raw.on.deployment !== undefined && environment === null) {
      problems.push(
        configError(`${subject([...base, "on", "deployment"])} needs \`environment\`: deployments start only deploy pipelines`, locator.member([...base, "on"], "deployment")),
      );
    }
  }

  if (raw.run.trim() === "") problems.push(configError(`${subject([...base, "run"])} must not be empty`, locator.value([...base, "run"])));
  if (environment !== null && !NAME.test(environment)) {
    problems.push(configError(`${subject([...base, "environment"])} may only contain letters, digits, \`_\`, \`.\` and \`-\``, locator.value([...base, "environment"])));
  }
  if (raw.url !== undefined && environment === null) {
    problems.push(configWarning(`${subject([...base, "url"])} has no effect without \`environment\``, locator.key([...base, "url"])));
  }

  const timeout = normalizeTimeout(raw.timeout, [...base, "timeout"], locator);
  problems.push(...timeout.problems);
  const env = normalizeEnv(raw.env ?? {}, [...base, "env"], locator);
  problems.push(...env.problems);

  return {
    pipeline: {
      name,
      push,
      pullRequest,
      deployment: environment !== null,
      run: raw.run,
      timeoutMs: timeout.ms,
      env: env.values,
      needs: [...new Set(raw.needs ?? [])],
      environment,
      url: raw.url ?? null,
      cancelSuperseded: raw["cancel-superseded"] ?? true,
      trust: raw.trust ?? "collaborators",
      line: locator.key(base).line,
    },
    problems,
  };
}

function normalizeTimeout(raw: string | number | undefined, path: ConfigPath, locator: Locator): { ms: number | null; problems: ConfigProblem[] } {
  if (raw === undefined) return { ms: null, problems: [] };
  const ms = typeof raw === "number" ? Math.round(raw * 1000) : parseDuration(raw);
  const fail = (text: string) => ({ ms: null, problems: [configError(`${subject(path)} ${text}`, locator.value(path))] });
  if (ms === null || !Number.isFinite(ms)) return fail(`\`${String(raw)}\` is not a duration (use e.g. \`90s\`, \`15m\`, \`1h30m\`)`);
  if (ms <= 0) return fail("must be more than 0");
  if (ms > MAX_TIMEOUT_MS) return fail("must be at most 24h");
  return { ms, problems: [] };
}

function normalizeEnv(raw: Record<string, string | number | boolean | null>, path: ConfigPath, locator: Locator): { values: Record<string, string>; problems: ConfigProblem[] } {
  const values: Record<string, string> = {};
  const problems: ConfigProblem[] = [];
  for (const [name, value] of Object.entries(raw)) {
    const at = locator.member(path, name);
    if (!ENV_NAME.test(name)) {
      problems.push(configError(`${subject(path)}: \`${name}\` is not a valid variable name (letters, digits and \`_\`, not starting with a digit)`, at));
    } else if (name.startsWith("KICKOFF_") || RESERVED_ENV.has(name)) {
      problems.push(configError(`${subject(path)}: \`${name}\` is set by Kickoff and cannot be overridden`, at));
    } else {
      values[name] = envString(value, locator.node([...path, name]));
    }
  }
  return { values, problems };
}

/** Numbers keep their written form so `VERSION: 1.10` stays "1.10", not "1.1". */
function envString(value: string | number | boolean | null, node: unknown): string {
  if (value === null) return "";
  if (typeof value === "number" && isScalar(node) && typeof node.source === "string" && node.source !== "") {
    return node.source;
  }
  return String(value);
}
