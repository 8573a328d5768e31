const MASK = Buffer.from("***");
/** Shorter values would turn ordinary output into asterisks; GitHub Actions has the same floor. */
const MIN_SECRET_LENGTH = 3;

/**
 * Replaces secret values, and their base64 forms, with `***` in a byte stream. A secret
 * split across two chunks is still caught: the last (longest secret − 1) bytes of each
 * chunk are held back until the next one arrives, or the stream ends.
 */
export class SecretMasker {
  private readonly needles: Buffer[];
  private readonly holdBack: number;
  private pending: Buffer = Buffer.alloc(0);

  constructor(secrets: Iterable<string>) {
    const forms = new Set<string>();
    for (const secret of secrets) {
      if (secret.length < MIN_SECRET_LENGTH) continue;
      const b64 = Buffer.from(secret, "utf8").toString("base64");
      for (const form of [secret, b64, b64.replace(/=+$/, ""), Buffer.from(secret, "utf8").toString("base64url")]) if (form.length >= MIN_SECRET_LENGTH) forms.add(form);
      // Every line of a multi-line secret (a PEM key) is masked on its own too.
      for (const line of secret.split(/\r?\n/)) if (line.trim().length >= 8) forms.add(line.trim());
    }
    // Longest first, so a secret containing another is masked whole.
    this.needles = [...forms].sort((a, b) => b.length - a.length).map((f) => Buffer.from(f, "utf8"));
    this.holdBack = Math.max(0, ...this.needles.map((n) => n.length - 1));
  }

  get active(): boolean {
    return this.needles.length > 0;
  }

  /** Masked bytes that are safe to pass on now. */
  push(chunk: Buffer): Buffer {
    if (!this.active) return chunk;
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const { out, consumed } = this.replace(data, Math.max(0, data.length - this.holdBack));
    this.pending = Buffer.from(data.subarray(consumed));
    return out;
  }

  /** Whatever was held back, masked. */
  end(): Buffer {
    const { out } = this.replace(this.pending, this.pending.length);
    this.pending = Buffer.alloc(0);
    return out;
  }

  maskText(text: string): string {
    if (!this.active) return text;
    return this.replace(Buffer.from(text, "utf8"), Number.MAX_SAFE_INTEGER).out.toString("utf8");
  }

  /**
   * Masks every match that starts before `safe` and emits through `safe` (or through the
   * end of a match that crosses it). Returns the output and how many input bytes it used.
   */
  private replace(data: Buffer, safe: number): { out: Buffer; consumed: number } {
    const parts: Buffer[] = [];
    let from = 0;
    for (;;) {
      let best = -1;
      let bestLength = 0;
      for (const needle of this.needles) {
        const at = data.indexOf(needle, from);
        if (at !== -1 && (best === -1 || at < best || (at === best && needle.length > bestLength))) {
          best = at;
          bestLength = needle.length;
        }
      }
      if (best === -1 || best >= safe) break;
      parts.push(data.subarray(from, best), MASK);
      from = best + bestLength;
    }
    const end = Math.max(from, Math.min(safe, data.length));
    parts.push(data.subarray(from, end));
    return { out: Buffer.concat(parts), consumed: end };
  }
}
