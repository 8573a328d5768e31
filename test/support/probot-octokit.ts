import { ProbotOctokit } from "probot";

/**
 * A ProbotOctokit with retries and throttling really off, for tests.
 *
 * `ProbotOctokit.defaults({ throttle: { enabled: false } })` is not enough in Probot
 * 14.3.2: Probot passes its own `throttle` options (without `enabled`) per instance,
 * which replace the object default, and ProbotOctokit then re-adds `enabled: true`.
 * Throttled clients space writes 1 s apart and wait for rate-limit resets. A function
 * default runs after Probot's options are merged, so it wins.
 */
export const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...(options.throttle as Record<string, unknown> | undefined), enabled: false },
}));
