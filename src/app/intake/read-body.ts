import type { IncomingMessage } from "node:http";
import { HttpError } from "../../shared/http-error.js";

/** GitHub never sends payloads over 25 MB; anything larger is not from GitHub. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_WEBHOOK_BYTES): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, `payload over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new HttpError(413, `payload over ${limit} bytes`);
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    // The sender closed the connection, or the server's request timeout cut off a slow
    // one: a client problem, not a failure to store (which would be a 503).
    throw new HttpError(408, "the request body did not arrive: the connection closed or timed out");
  }
  return Buffer.concat(chunks, size);
}
