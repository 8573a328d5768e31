import type { Build } from "../store/schema.js";
import { truncateBytes } from "./byte-limits.js";

export type DeploymentState = "queued" | "in_progress" | "success" | "failure" | "error";

export interface DeploymentCreatePayload {
  owner: string;
  repo: string;
  sha: string;
  environment: string;
  description: string;
  /** Marks the deployment as this build's, so a retried create can find and adopt it. */
  payload: { kickoff_build: number };
}

export interface DeploymentStatusPayload {
  owner: string;
  repo: string;
  state: DeploymentState;
  description: string;
  log_url: string;
  environment_url?: string;
}

/**
 * The deployment state that matches a build's state: `failure` when the deploy script
 * failed or timed out, `error` when it never ran to the end for another reason (runner
 * lost, checkout failed, cancelled, superseded, skipped).
 */
export function deploymentState(build: Build): DeploymentState {
  if (build.status === "queued" || build.status === "waiting") return "queued";
  if (build.status === "running") return "in_progress";
  if (build.conclusion === "success") return "success";
  if (build.conclusion === "timed_out" || (build.conclusion === "failure" && build.exit_code !== null)) return "failure";
  return "error";
}

export function deploymentDescription(build: Build): string {
  const text = build.status === "done" ? (build.title ?? build.conclusion ?? "done") : build.status === "running" ? `Deploying ${build.sha.slice(0, 7)}` : "Waiting to deploy";
  return truncateBytes(text, 140, "…");
}
