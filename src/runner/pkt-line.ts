// git's pkt-line framing (gitprotocol-common(5)): four hex digits giving the length of the
// line including themselves, then the payload. 0000 ends a message (flush), 0001 separates
// its sections (delim) and 0002 ends a stateless response (response-end).

/** The longest pkt-line git sends or accepts: 65520 bytes, length prefix included. */
export const MAX_PKT_LENGTH = 65520;

export const FLUSH = Buffer.from("0000");
export const DELIM = Buffer.from("0001");

export function pktLine(payload: string): Buffer {
  const body = Buffer.from(payload, "utf8");
  if (body.length + 4 > MAX_PKT_LENGTH) throw new RangeError("pkt-line payload too long");
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, "0"), "ascii"), body]);
}

export type Packet = { kind: "data"; data: Buffer } | { kind: "flush" | "delim" | "response-end" };

export class PktLineError extends Error {}

/**
 * Reads pkt-lines from a byte stream, copying each payload out once: a pack of hundreds of
 * megabytes arrives this way, so chunks are never concatenated as a whole.
 */
export class PktLineReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private offset = 0;
  private ended = false;
  private readonly source: AsyncIterator<Uint8Array>;

  constructor(stream: AsyncIterable<Uint8Array>) {
    this.source = stream[Symbol.asyncIterator]();
  }

  /** The next packet, or null at a clean end of the stream (between packets). */
  async next(): Promise<Packet | null> {
    if (!(await this.fill(4))) {
      if (this.buffered === 0) return null;
      throw new PktLineError("the stream ended inside a pkt-line length");
    }
    const head = this.take(4).toString("latin1");
    // Upper-case digits too, as git's own reader takes them.
    if (!/^[0-9a-fA-F]{4}$/.test(head)) throw new PktLineError(`malformed pkt-line length ${JSON.stringify(head)}`);
    const length = Number.parseInt(head, 16);
    if (length === 0) return { kind: "flush" };
    if (length === 1) return { kind: "delim" };
    if (length === 2) return { kind: "response-end" };
    if (length < 4 || length > MAX_PKT_LENGTH) throw new PktLineError(`pkt-line length ${length} out of range`);
    if (!(await this.fill(length - 4))) throw new PktLineError("the stream ended inside a pkt-line");
    return { kind: "data", data: this.take(length - 4) };
  }

  private async fill(bytes: number): Promise<boolean> {
    while (this.buffered < bytes) {
      if (this.ended) return false;
      const { value, done } = await this.source.next();
      if (done) {
        this.ended = true;
        continue;
      }
      if (value.length === 0) continue;
      this.chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      this.buffered += value.length;
    }
    return true;
  }

  private take(bytes: number): Buffer {
    const out = Buffer.allocUnsafe(bytes);
    let written = 0;
    while (written < bytes) {
      const chunk = this.chunks[0]!;
      const n = Math.min(bytes - written, chunk.length - this.offset);
      chunk.copy(out, written, this.offset, this.offset + n);
      written += n;
      this.offset += n;
      if (this.offset === chunk.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
    this.buffered -= bytes;
    return out;
  }
}

/** A data packet's text without its trailing newline. */
export function packetText(packet: Packet): string | null {
  return packet.kind === "data" ? packet.data.toString("utf8").replace(/\n$/, "") : null;
}
