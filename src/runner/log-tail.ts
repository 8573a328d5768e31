import { utf8EndBoundary, utf8StartBoundary } from "./utf8-boundary.js";

export { stripAnsi } from "./strip-ansi.js";

/**
 * Keeps the last `maxBytes` bytes of a stream (for the check run's log text) while the
 * whole stream goes elsewhere. Memory stays at about `maxBytes` plus one chunk.
 */
export class LogTail {
  private chunks: Buffer[] = [];
  private keptBytes = 0;
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  get totalBytes(): number {
    return this.total;
  }

  push(chunk: Uint8Array): void {
    this.total += chunk.byteLength;
    if (this.maxBytes <= 0 || chunk.byteLength === 0) return;
    const start = Math.max(0, chunk.byteLength - this.maxBytes);
    const part = chunk.subarray(start);
    // A view of a chunk that owns its memory costs nothing (a run's output passes here
    // at hundreds of megabytes a second); a slice of a larger buffer is copied, or the
    // tail would pin all of it.
    const own = part.buffer.byteLength <= 2 * part.byteLength + 4096 ? Buffer.from(part.buffer, part.byteOffset, part.byteLength) : Buffer.from(part);
    this.chunks.push(own);
    this.keptBytes += own.length;
    while (this.chunks.length > 1 && this.keptBytes - (this.chunks[0]?.length ?? 0) >= this.maxBytes) {
      this.keptBytes -= this.chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks, this.keptBytes);
    let start = Math.max(0, all.length - this.maxBytes);
    const truncated = this.total > all.length - start;
    if (truncated) {
      start = utf8StartBoundary(all, start);
      // The first line is partial; drop it unless it is all there is.
      const nl = all.indexOf(0x0a, start);
      if (nl !== -1 && nl + 1 < all.length) start = nl + 1;
    }
    // The stream may still be running, mid-character.
    const end = utf8EndBoundary(all, all.length);
    return all.toString("utf8", start, Math.max(start, end));
  }
}
