import type { IncomingMessage, ServerResponse } from "node:http";
import type { BlockList } from "node:net";
import type { Logger } from "pino";
import { clientAddress } from "../../web/client-address.js";
import type { WebhookAllowList } from "./ip-allow-list.js";
import type { Rejection } from "./webhook-intake.js";

export interface SourceCheckOptions {
  allowList: WebhookAllowList;
  trustedProxies: BlockList | null;
  log: Logger;
  onResult?(event: string, result: string, rejection?: Rejection): void;
}

type Intake = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Lets only allowed sources reach the webhook intake. A refused request is answered before
 * its body is read and is never stored; the connection is closed so the unread body does
 * not have to be drained.
 */
export function allowedSourcesOnly(intake: Intake, o: SourceCheckOptions): Intake {
  return async (req, res) => {
    const address = clientAddress(req, o.trustedProxies);
    const verdict = o.allowList.check(address);
    if (verdict === "allowed") return intake(req, res);
    const status = verdict === "not-ready" ? 503 : 403;
    const reason = verdict === "not-ready" ? "GitHub's webhook address ranges are not known yet" : `source address ${address ?? "(unknown)"} is not allowed`;
    const event = typeof req.headers["x-github-event"] === "string" ? req.headers["x-github-event"].slice(0, 64) : "unknown";
    const delivery = typeof req.headers["x-github-delivery"] === "string" ? req.headers["x-github-delivery"] : null;
    o.log.warn({ status, address, peer: req.socket.remoteAddress, delivery }, `webhook refused: ${reason}`);
    o.onResult?.(event, `rejected_${status}`, { status, reason, delivery, remoteAddress: address });
    res.writeHead(status, { "content-type": "application/json", connection: "close" });
    res.end(JSON.stringify({ message: reason }));
  };
}
