import type { Kysely } from "kysely";
import type { BuildStatus, Conclusion, Database } from "./schema.js";

export interface AuditDelivery {
  id: string;
  event: string;
  action: string | null;
  repository: string | null;
  sender: string | null;
  received_at: number;
  status: string;
  attempts: number;
  outcome: string | null;
  error: string | null;
}

export interface AuditBuild {
  id: number;
  pipeline: string;
  trigger_delivery: string | null;
  status: BuildStatus;
  conclusion: Conclusion | null;
}

/** Position in the audit log: deliveries older than this one (time, then id). */
export interface DeliveryCursor {
  receivedAt: number;
  id: string;
}

/** Newest first, keyset-paged, without payloads (they can be megabytes). */
export async function listDeliveries(db: Kysely<Database>, o: { before: DeliveryCursor | null; id: string | null; limit: number }): Promise<AuditDelivery[]> {
  let q = db.selectFrom("deliveries").select(["id", "event", "action", "repository", "sender", "received_at", "status", "attempts", "outcome", "error"]);
  if (o.id !== null) q = q.where("id", "=", o.id);
  const before = o.before;
  if (before !== null) q = q.where((eb) => eb.or([eb("received_at", "<", before.receivedAt), eb.and([eb("received_at", "=", before.receivedAt), eb("id", "<", before.id)])]));
  return q.orderBy("received_at", "desc").orderBy("id", "desc").limit(o.limit).execute();
}

/** The builds each of these deliveries started. */
export async function buildsOfDeliveries(db: Kysely<Database>, ids: string[]): Promise<AuditBuild[]> {
  if (ids.length === 0) return [];
  return db.selectFrom("builds").select(["id", "pipeline", "trigger_delivery", "status", "conclusion"]).where("trigger_delivery", "in", ids).orderBy("id").execute();
}

export interface RejectedRequest {
  received_at: number;
  event: string | null;
  delivery: string | null;
  status: number;
  reason: string;
  remote_address: string | null;
}

export async function insertRejections(db: Kysely<Database>, rows: RejectedRequest[]): Promise<void> {
  if (rows.length > 0) await db.insertInto("rejected_requests").values(rows).execute();
}

export async function listRejections(db: Kysely<Database>, limit: number): Promise<Array<RejectedRequest & { id: number }>> {
  return db.selectFrom("rejected_requests").select(["id", "received_at", "event", "delivery", "status", "reason", "remote_address"]).orderBy("id", "desc").limit(limit).execute();
}
