import type { Logger } from "pino";
import type { Clock } from "../shared/clock.js";
import type { Store } from "../store/database.js";
import { claimOutbox, completeOutbox, retryOutbox } from "../store/outbox.js";
import type { OutboxRow } from "../store/schema.js";
import type { GitHubApp } from "./github-app.js";
import type { CheckRunPayload, CommentPayload, ReactionPayload } from "./report.js";
import { classifyFailure } from "./retry-policy.js";
import { syncCheckRun } from "./sync-check-run.js";
import type { DeploymentCreatePayload, DeploymentStatusPayload } from "./deployment-request.js";
import { createDeployment, postDeploymentStatus } from "./sync-deployment.js";

export interface OutboxSenderOptions {
  store: Store;
  clock: Clock;
  github: GitHubApp;
  log: Logger;
  senderId: string;
  /** How long a claimed row is ours before another sender may take it. */
  leaseMs?: number;
  onGitHubError?: (status: number | null) => void;
}

/**
 * Sends one outbox row per step. A failure is stored on the row as a value: retried
 * with back-off (GitHub down, rate limited) or given up (GitHub rejected the request).
 * Rows of one key wait behind a retried head, so reports are never reordered.
 */
export class OutboxSender {
  constructor(private readonly o: OutboxSenderOptions) {}

  async step(): Promise<boolean> {
    const { store, clock, senderId } = this.o;
    const row = await claimOutbox(store.db, clock, senderId, this.o.leaseMs ?? 60_000, store.dialect === "postgres");
    if (!row) return false;
    try {
      await this.send(row);
      await completeOutbox(store.db, clock, row.id, senderId, null);
    } catch (error) {
      const verdict = classifyFailure(error, row.attempts, clock.now());
      this.o.onGitHubError?.(verdict.status);
      const log = this.o.log.child({ outbox: row.id, key: row.key, build: row.build_id ?? undefined });
      if (verdict.retry) {
        log.warn({ status: verdict.status, attempt: row.attempts, retryInMs: Math.round(verdict.delayMs) }, `GitHub write failed, will retry: ${verdict.reason}`);
        await retryOutbox(store.db, clock, row.id, senderId, verdict.reason, verdict.delayMs);
      } else {
        log.error({ status: verdict.status }, `GitHub rejected a write, giving up on it: ${verdict.reason}`);
        await completeOutbox(store.db, clock, row.id, senderId, verdict.reason);
      }
    }
    return true;
  }

  private async send(row: OutboxRow): Promise<void> {
    const octokit = await this.o.github.installation(row.installation_id);
    const payload: unknown = JSON.parse(row.payload);
    switch (row.kind) {
      case "check_run":
        if (row.build_id === null) throw new Error("check_run outbox row without a build");
        await syncCheckRun(this.o.store.db, octokit, row.build_id, payload as CheckRunPayload, row.attempts > 1);
        return;
      case "deployment":
        await createDeployment(this.o.store.db, octokit, row.build_id!, payload as DeploymentCreatePayload, row.attempts > 1);
        return;
      case "deployment_status":
        await postDeploymentStatus(this.o.store.db, octokit, row.build_id!, payload as DeploymentStatusPayload);
        return;
      case "comment": {
        const c = payload as CommentPayload;
        await octokit.rest.issues.createComment({ owner: c.owner, repo: c.repo, issue_number: c.number, body: c.body });
        return;
      }
      case "reaction": {
        const r = payload as ReactionPayload;
        await octokit.rest.reactions.createForIssueComment({ owner: r.owner, repo: r.repo, comment_id: r.commentId, content: r.content });
        return;
      }
      default:
        throw Object.assign(new Error(`unknown outbox kind ${row.kind}`), { status: 0 });
    }
  }
}
