import path from "node:path";

export interface RunContext {
  event: string;
  repository: string;
  sha: string;
  ref: string;
  branch: string | null;
  prNumber: number | null;
  pipeline: string;
  buildId: string;
  summaryFile: string;
  /** A per-build home, so runs share no ~/.npmrc, ~/.gitconfig or caches with the server. */
  home: string;
  environment?: string | null;
  pipelineEnv: Record<string, string>;
  secrets?: Record<string, string>;
}

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Names a process environment can actually carry; anything else would make spawn fail
// or be silently mangled.
const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The complete environment of a run (DESIGN §3). Built from scratch: nothing of the
 * server's own environment (App key, webhook secret, database URL, tokens) can leak in,
 * because nothing is copied from `process.env`.
 */
export function buildRunEnvironment(ctx: RunContext): Record<string, string> {
  const env: Record<string, string> = {
    PATH: runPath(),
    HOME: ctx.home,
    LANG: "C.UTF-8",
    // A CI run has no one to answer a credential prompt; fail instead of hanging.
    GIT_TERMINAL_PROMPT: "0",
  };
  assign(env, ctx.pipelineEnv);
  const environment = ctx.environment ?? null;
  const isDeploy = environment !== null && environment !== "";
  // Secrets belong to deploys only: a caller passing them for anything else is a bug
  // that must not put them in front of, say, a fork's pull request.
  if (isDeploy && ctx.secrets) assign(env, ctx.secrets);
  // Set last: a pipeline's env or a secret must not be able to fake what is being built.
  Object.assign(env, {
    CI: "true",
    KICKOFF: "true",
    KICKOFF_EVENT: ctx.event,
    KICKOFF_REPOSITORY: ctx.repository,
    KICKOFF_SHA: ctx.sha,
    KICKOFF_REF: ctx.ref,
    KICKOFF_BRANCH: ctx.branch ?? "",
    KICKOFF_PIPELINE: ctx.pipeline,
    KICKOFF_BUILD_ID: ctx.buildId,
    KICKOFF_SUMMARY: ctx.summaryFile,
  });
  if (ctx.prNumber !== null) env.KICKOFF_PR_NUMBER = String(ctx.prNumber);
  if (isDeploy) env.KICKOFF_ENVIRONMENT = environment;
  return env;
}

// The running node's directory comes first so `node` and `npm` in a run are the ones the
// server runs on, whatever else is installed on the machine.
function runPath(): string {
  const nodeDir = path.dirname(process.execPath);
  const rest = DEFAULT_PATH.split(":").filter((dir) => dir !== nodeDir);
  return [nodeDir, ...rest].join(":");
}

function assign(target: Record<string, string>, source: Record<string, string>): void {
  for (const [name, value] of Object.entries(source)) {
    if (!VALID_NAME.test(name) || value.includes("\0") || isReserved(name)) continue;
    target[name] = value;
  }
}

// The KICKOFF_ namespace describes the build; config may not add to it either (a push
// build must not appear to have a KICKOFF_PR_NUMBER or a KICKOFF_ENVIRONMENT).
function isReserved(name: string): boolean {
  return name === "KICKOFF" || name.startsWith("KICKOFF_");
}
