import { utf8EndBoundary } from "./utf8-boundary.js";

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Turns a byte stream into lines. Lines are cut at `\n` (a trailing `\r` is dropped) and
 * a line longer than `maxLineBytes` keeps only its first `maxLineBytes` bytes: the rest
 * is discarded as it arrives, so output without newlines cannot grow memory.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private kept = 0;
  private overflowed = false;
  private pendingColon = false;

  constructor(private readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES) {}

  push(chunk: Uint8Array | string): string[] {
    const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lines: string[] = [];
    let from = 0;
    while (from < buf.length) {
      const nl = buf.indexOf(NEWLINE, from);
      if (nl === -1) {
        this.keep(buf.subarray(from));
        break;
      }
      if (this.kept === 0 && !this.overflowed && nl - from <= this.maxLineBytes) {
        // Common case, a whole line inside one chunk: decode it without copying.
        const end = nl > from && buf[nl - 1] === CARRIAGE_RETURN ? nl - 1 : nl;
        lines.push(buf.toString("utf8", from, end));
      } else {
        this.keep(buf.subarray(from, nl));
        lines.push(this.take());
      }
      from = nl + 1;
    }
    return lines;
  }

  /**
   * Whether `chunk` could complete a line holding `::` (a workflow command). When it
   * cannot, `skip` passes it by without decoding a single line: that is what keeps a run
   * printing hundreds of megabytes of ordinary output cheap.
   */
  mayHoldCommand(chunk: Uint8Array): boolean {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    return this.pendingColon || buf.includes("::");
  }

  /** Consumes `chunk` like `push`, but drops its complete lines unread. */
  skip(chunk: Uint8Array): void {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const nl = buf.lastIndexOf(NEWLINE);
    if (nl !== -1) {
      this.parts = [];
      this.kept = 0;
      this.overflowed = false;
      this.pendingColon = false;
    }
    this.keep(buf.subarray(nl + 1));
  }

  /** The last line if the stream did not end with a newline. */
  end(): string[] {
    if (this.kept === 0 && !this.overflowed) return [];
    return [this.take()];
  }

  private keep(segment: Buffer): void {
    // A kept ':' may pair with one at the start of the next chunk to make `::`.
    if (segment.includes(0x3a)) this.pendingColon = true;
    const room = this.maxLineBytes - this.kept;
    if (segment.length > room) this.overflowed = true;
    const part = segment.length > room ? segment.subarray(0, room) : segment;
    if (part.length === 0) return;
    // Copy: the caller's chunk may be large or reused, and we keep only this slice.
    this.parts.push(Buffer.from(part));
    this.kept += part.length;
  }

  private take(): string {
    let line = Buffer.concat(this.parts, this.kept);
    if (this.overflowed) {
      line = line.subarray(0, utf8EndBoundary(line, line.length));
    } else if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) {
      line = line.subarray(0, line.length - 1);
    }
    this.parts = [];
    this.kept = 0;
    this.overflowed = false;
    this.pendingColon = false;
    return line.toString("utf8");
  }
}
