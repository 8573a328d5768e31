import type { Writable } from "node:stream";

/**
 * Writes and, when the stream's buffer is full, waits until it drains, or until the other
 * end went away (a bare "drain" wait would hang forever on a closed connection or a
 * process that exited).
 */
export async function writeOrWait(stream: Writable, data: string | Uint8Array): Promise<void> {
  if (stream.destroyed || stream.write(data)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
