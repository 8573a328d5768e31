import type { IncomingHttpHeaders } from "node:http";
import { verify } from "@octokit/webhooks-methods";
import { HttpError } from "../../shared/http-error.js";

export interface DeliveryHeaders {
  id: string;
  event: string;
  signature: string;
}

const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;
const EVENT_NAME = /^[a-z_]{1,64}$/;

/** Checks what can be checked before reading the body. */
export function deliveryHeaders(headers: IncomingHttpHeaders): DeliveryHeaders {
  const contentType = String(headers["content-type"] ?? "");
  if (!/^application\/json\s*(;|$)/i.test(contentType)) throw new HttpError(415, "content type must be application/json");
  const id = single(headers["x-github-delivery"]);
  const event = single(headers["x-github-event"]);
  const signature = single(headers["x-hub-signature-256"]);
  if (!id || !DELIVERY_ID.test(id)) throw new HttpError(400, "missing or malformed X-GitHub-Delivery header");
  if (!event || !EVENT_NAME.test(event)) throw new HttpError(400, "missing or malformed X-GitHub-Event header");
  if (!signature) throw new HttpError(400, "missing X-Hub-Signature-256 header");
  return { id, event, signature };
}

/**
 * Constant-time HMAC check of the exact bytes received. Only `sha256=` with the lowercase
 * hex digest is accepted, as GitHub sends it.
 */
export async function verifySignature(secret: string, body: Buffer, signature: string): Promise<void> {
  // No event has an empty payload, and `verify` throws on one (which would read as a
  // failure to store, a 503).
  if (body.length === 0) throw new HttpError(400, "empty body");
  const valid = /^sha256=[0-9a-f]{64}$/.test(signature) && (await verify(secret, body.toString("utf8"), signature));
  if (!valid) throw new HttpError(401, "signature does not match");
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
