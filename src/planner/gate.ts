import type { Pipeline } from "../config/kickoff-config.js";

/** What is known about who may run a commit's code. */
export interface Trust {
  /** The commit comes from a fork. */
  fork: boolean;
  /** The pull request's author can write to the base repository. */
  authorCanWrite: boolean;
  /** Someone with write access approved this exact commit. */
  approved: boolean;
}

export const SAME_REPOSITORY: Trust = { fork: false, authorCanWrite: true, approved: false };

/** Dedupe suffix of builds started by an approval. */
export const approvalGateKey = "approved";

/**
 * Whether a pipeline must wait for approval: fork code runs only once a writer approved
 * the commit, unless its author is a writer and the pipeline trusts collaborators.
 */
export function needsApproval(p: Pipeline, trust: Trust): boolean {
  if (!trust.fork || trust.approved) return false;
  return !(trust.authorCanWrite && p.trust === "collaborators");
}
