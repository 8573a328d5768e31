import type { Logger } from "pino";
import type { GitHubApp } from "../github/github-app.js";
import type { Build } from "../store/schema.js";
import { checkout } from "./workspace.js";

/** The checkout of a build's commit, or why there is none: a title for GitHub, a line for the log. */
export type BuildCheckout = { ok: true } | { ok: false; title: string; note: string | null; cancelled: boolean };

export interface BuildCheckoutDeps {
  github: GitHubApp;
  dataDir: string;
  log: Logger;
}

/**
 * Gets an installation token and checks the build's commit out into `workDir` once
 * `ready` says the workspace is there. Started as soon as the build is claimed: fetching
 * the commit is the longest wait of a build, and reporting it started, opening its log and
 * making its directory all happen meanwhile.
 */
export async function checkOutBuild(deps: BuildCheckoutDeps, build: Build, workDir: string, ready: Promise<boolean>, signal: AbortSignal): Promise<BuildCheckout> {
  // Started before anyone awaits it, so it must never reject: a failure is a value.
  try {
    return await tokenAndCheckout(deps, build, workDir, ready, signal);
  } catch (error) {
    deps.log.error({ err: error }, "checkout failed inside Kickoff");
    return {
      ok: false,
      title: "Kickoff failed to run the build (see the log)",
      note: `internal error: ${error instanceof Error ? error.message : String(error)}`,
      cancelled: false,
    };
  }
}

async function tokenAndCheckout(deps: BuildCheckoutDeps, build: Build, workDir: string, ready: Promise<boolean>, signal: AbortSignal): Promise<BuildCheckout> {
  let token: string;
  try {
    token = await withRetries(() => deps.github.installationToken(build.installation_id), 3, signal);
  } catch (error) {
    if (signal.aborted) return { ok: false, title: "Cancelled during checkout", note: null, cancelled: true };
    const status = (error as { status?: unknown }).status;
    const http = typeof status === "number" ? ` (HTTP ${status})` : "";
    deps.log.warn({ err: error }, "could not get an installation token");
    return {
      ok: false,
      title: `Checkout failed: GitHub did not issue an installation token${http}`,
      note: `could not get an installation token from GitHub${http}`,
      cancelled: false,
    };
  }
  const checkedOut = await checkout(
    {
      dataDir: deps.dataDir,
      repository: build.repository,
      cloneUrl: build.clone_url,
      sha: build.sha,
      ref: build.ref,
      token,
      signal,
      ready,
      onFallback: (why) => deps.log.info({ why }, "fetching with git instead of the fast path"),
    },
    workDir,
  );
  if (checkedOut.ok) return { ok: true };
  if (signal.aborted) return { ok: false, title: "Cancelled during checkout", note: null, cancelled: true };
  return { ok: false, title: `Checkout failed: ${checkedOut.error}`.slice(0, 255), note: `checkout failed: ${checkedOut.error}`, cancelled: false };
}

async function withRetries<T>(fn: () => Promise<T>, tries: number, signal: AbortSignal): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= tries || signal.aborted) throw error;
      await new Promise((r) => setTimeout(r, 500 * 2 ** i));
    }
  }
}
