import type { Pipeline } from "../config/kickoff-config.js";

/**
 * The part of a pipeline a run needs, frozen into the build when it is planned: a later
 * push that edits the config never changes a build already queued.
 */
export interface BuildConfig {
  run: string;
  env: Record<string, string>;
  timeoutMs: number;
  needs: string[];
  environment: string | null;
  url: string | null;
}

export function freezePipeline(p: Pipeline, defaultTimeoutMs: number): BuildConfig {
  return { run: p.run, env: p.env, timeoutMs: p.timeoutMs ?? defaultTimeoutMs, needs: p.needs, environment: p.environment, url: p.url };
}

export function readBuildConfig(json: string): BuildConfig {
  return JSON.parse(json) as BuildConfig;
}
