import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Clock } from "../../shared/clock.js";
import { HttpError } from "../../shared/http-error.js";
import type { PutResult } from "../../store/inbox.js";
import type { DeliveryInbox } from "../../store/inbox-writer.js";
import { isHandledEvent } from "../handled-events.js";
import { readBody } from "./read-body.js";
import { deliveryHeaders, verifySignature } from "./verify-delivery.js";

export interface IntakeOptions {
  /** Stores deliveries (group-committed; see InboxWriter). */
  inbox: DeliveryInbox;
  clock: Clock;
  secret: string;
  log: Logger;
  /** A new delivery is stored: wake the planner. */
  onStored(): void;
  /** Every answer, for metrics; a rejection also says why (for the audit log), never the payload. */
  onResult?(event: string, result: string, rejection?: Rejection): void;
}

export interface Rejection {
  status: number;
  reason: string;
  delivery: string | null;
  remoteAddress: string | null;
}

interface PayloadFacts {
  action?: unknown;
  installation?: { id?: unknown } | null;
  repository?: { full_name?: unknown } | null;
  sender?: { login?: unknown } | null;
}

/**
 * The webhook endpoint: verify, store, then answer. Nothing slow happens here (no GitHub
 * calls, no git, no scripts). A 2xx is sent only after the delivery is committed, and a
 * failed insert answers 503 so GitHub records a failed delivery `kickoff redeliver` finds.
 */
export function webhookIntake(o: IntakeOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    let event = "unknown";
    // Read now: once a refused body's connection is torn down, req.socket is gone.
    const remoteAddress = req.socket.remoteAddress ?? null;
    try {
      const headers = deliveryHeaders(req.headers);
      event = headers.event;
      const body = await readBody(req);
      await verifySignature(o.secret, body, headers.signature);
      let payload: PayloadFacts;
      try {
        payload = JSON.parse(body.toString("utf8")) as PayloadFacts;
      } catch {
        throw new HttpError(400, "body is not valid JSON");
      }
      if (typeof payload !== "object" || payload === null || Array.isArray(payload)) throw new HttpError(400, "body is not a JSON object");

      const result = await store(o, headers.id, headers.event, payload, body);
      o.onResult?.(event, result === "duplicate" ? "duplicate" : "accepted");
      if (result === "inserted") o.onStored();
      answer(res, result === "duplicate" ? 200 : 202, result === "duplicate" ? "duplicate delivery, already received" : "stored");
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 503;
      const message = error instanceof HttpError ? error.message : "could not store the delivery; GitHub will show it as failed";
      if (!(error instanceof HttpError)) o.log.error({ err: error }, "storing a webhook delivery failed");
      else o.log.warn({ status, event, delivery: req.headers["x-github-delivery"] }, `webhook rejected: ${message}`);
      const delivery = req.headers["x-github-delivery"];
      o.onResult?.(event, `rejected_${status}`, { status, reason: message, delivery: typeof delivery === "string" ? delivery : null, remoteAddress });
      // A body we stopped reading must not be left on a keep-alive connection.
      if (status === 413) res.setHeader("connection", "close");
      answer(res, status, message);
      if (status === 413) req.resume();
    }
  };
}

async function store(o: IntakeOptions, id: string, event: string, payload: PayloadFacts, body: Buffer): Promise<PutResult> {
  const action = typeof payload.action === "string" ? payload.action : null;
  const installationId = typeof payload.installation?.id === "number" ? payload.installation.id : null;
  const repository = typeof payload.repository?.full_name === "string" ? payload.repository.full_name : null;
  const handled = isHandledEvent(event, action);
  const usable = handled && installationId !== null && repository !== null;
  const now = o.clock.now();
  return o.inbox.put({
    id,
    event,
    action,
    installation_id: installationId,
    repository,
    sender: typeof payload.sender?.login === "string" ? payload.sender.login : null,
    // Ignored deliveries are recorded for the audit log without their payload.
    payload: usable ? body.toString("utf8") : "{}",
    received_at: now,
    status: usable ? "pending" : "done",
    next_attempt_at: now,
    locked_by: null,
    locked_until: null,
    processed_at: usable ? null : now,
    outcome: usable ? null : handled ? "ignored: payload lacks repository or installation" : `ignored: Kickoff does not act on ${event}${action ? `.${action}` : ""}`,
    error: null,
  });
}

function answer(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ message }));
}
