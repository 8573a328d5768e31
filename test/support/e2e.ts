import type { CheckRunRecord, GitHubStandIn, StandInRepo } from "./github-stand-in.js";
import type { Harness } from "./kickoff-harness.js";
import { pushPayload } from "./webhooks.js";

export const ZERO = "0".repeat(40);

export function kickoffYml(pipelines: Record<string, string>): string {
  return `pipelines:\n${Object.entries(pipelines)
    .map(([name, body]) => `  ${name}:\n${body.replace(/^/gm, "    ")}`)
    .join("\n")}\n`;
}

/** Commits `files` to `branch` and sends the push webhook for it; returns the new sha. */
export async function pushCommit(h: Harness, repo: StandInRepo, branch: string, files: Record<string, string | null>, message = "Update"): Promise<string> {
  const before = await repo.head(branch).catch(() => ZERO);
  const sha = await repo.commit({ branch, files, message });
  const res = await h.send("push", pushPayload(repo, { ref: `refs/heads/${branch}`, before, after: sha, message, commits: [{ id: sha, message, modified: Object.keys(files) }] }));
  if (res.status !== 202) throw new Error(`push webhook answered ${res.status}: ${res.body}`);
  return sha;
}

export function completedRun(gh: GitHubStandIn, repo: StandInRepo, name: string, sha: string, timeoutMs = 30_000): Promise<CheckRunRecord> {
  return gh.waitFor(() => gh.checkRuns(repo.fullName, sha).find((r) => r.name === name && r.status === "completed"), {
    timeoutMs,
    message: `check run ${name} on ${sha.slice(0, 7)} never completed`,
  });
}

/** Waits until Kickoff has planned (or ignored) a delivery, so "nothing happened" can be asserted. */
export async function processed(h: Harness, deliveryId: string): Promise<string | null> {
  const row = await eventually(async () => {
    const d = await h.kickoff.store.db.selectFrom("deliveries").selectAll().where("id", "=", deliveryId).executeTakeFirst();
    return d && (d.status === "done" || d.status === "failed") ? d : undefined;
  }, `delivery ${deliveryId} was never processed`);
  return row.outcome;
}

/** Polls an async condition until it yields a value. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, message: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${message}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
