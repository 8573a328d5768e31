import type { Generated, Insertable, Selectable, Updateable } from "kysely";

/** Times are integer milliseconds since the epoch in both dialects. */
export type Millis = number;

export interface DeliveriesTable {
  id: string;
  event: string;
  action: string | null;
  installation_id: number | null;
  repository: string | null;
  sender: string | null;
  payload: string;
  received_at: Millis;
  status: "pending" | "processing" | "done" | "failed";
  attempts: Generated<number>;
  next_attempt_at: Millis;
  locked_by: string | null;
  locked_until: Millis | null;
  processed_at: Millis | null;
  outcome: string | null;
  error: string | null;
}

export type BuildStatus = "queued" | "running" | "done" | "waiting";

export type Conclusion = "success" | "failure" | "cancelled" | "timed_out" | "skipped" | "action_required" | "neutral";

export interface BuildsTable {
  id: Generated<number>;
  repository: string;
  repository_id: number;
  installation_id: number;
  private: number;
  clone_url: string;
  html_url: string;
  pipeline: string;
  sha: string;
  ref: string | null;
  branch: string | null;
  event: string;
  pr_number: number | null;
  trigger_delivery: string | null;
  sender: string | null;
  dedupe_key: string | null;
  /** JSON of the pipeline as planned, so a run never re-reads a moved config. */
  config: string;
  status: BuildStatus;
  conclusion: Conclusion | null;
  exit_code: number | null;
  title: string | null;
  summary: string | null;
  annotations: string | null;
  attempt: Generated<number>;
  queued_at: Millis;
  started_at: Millis | null;
  finished_at: Millis | null;
  worker_id: string | null;
  worker_host: string | null;
  /** The running script's process group on the worker's machine. */
  process_group: number | null;
  lease_expires_at: Millis | null;
  cancel_requested: Generated<number>;
  cancel_reason: string | null;
  check_run_id: number | null;
  superseded_by: string | null;
  /** 1 when the commit comes from a fork: never secrets, never deploys. */
  fork: Generated<number>;
  /** Set for deploy builds allowed to run: the environment they deploy to. */
  environment: string | null;
  deployment_id: number | null;
}

export interface ApprovalsTable {
  repository_id: number;
  sha: string;
  approved_by: string;
  approved_at: Millis;
}

export interface LogChunksTable {
  build_id: number;
  seq: number;
  data: Uint8Array;
  created_at: Millis;
}

export interface OutboxTable {
  id: Generated<number>;
  /** Rows with one key are sent strictly in id order. */
  key: string;
  kind: string;
  installation_id: number;
  repository: string;
  build_id: number | null;
  payload: string;
  attempts: Generated<number>;
  next_attempt_at: Millis;
  locked_by: string | null;
  locked_until: Millis | null;
  created_at: Millis;
  done_at: Millis | null;
  failed: Generated<number>;
  last_error: string | null;
}

/** A webhook request refused before storing (bad signature, size, JSON); never its payload. */
export interface RejectedRequestsTable {
  id: Generated<number>;
  received_at: Millis;
  event: string | null;
  delivery: string | null;
  status: number;
  reason: string;
  remote_address: string | null;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  deliveries: DeliveriesTable;
  builds: BuildsTable;
  log_chunks: LogChunksTable;
  outbox: OutboxTable;
  meta: MetaTable;
  rejected_requests: RejectedRequestsTable;
  approvals: ApprovalsTable;
}

export type Delivery = Selectable<DeliveriesTable>;
export type NewDelivery = Insertable<DeliveriesTable>;
export type Build = Selectable<BuildsTable>;
export type NewBuild = Insertable<BuildsTable>;
export type BuildUpdate = Updateable<BuildsTable>;
export type OutboxRow = Selectable<OutboxTable>;
