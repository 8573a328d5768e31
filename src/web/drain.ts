import type { ServerResponse } from "node:http";

/**
 * Writes and, when the socket's buffer is full, waits until it drains, or until the
 * client went away (a bare "drain" wait would hang forever on a closed connection).
 */
export async function writeOrWait(res: ServerResponse, data: string | Uint8Array): Promise<void> {
  if (res.destroyed || res.write(data)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
