// Cutting a byte stream at an arbitrary offset can land inside a multi-byte UTF-8
// sequence; decoding that would turn it into U+FFFD. These helpers move a cut to the
// nearest character boundary instead.

function isContinuation(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

// Length of the sequence a lead byte announces; 1 for ASCII and for invalid bytes, so
// garbage is never held back waiting for bytes that will not come.
function sequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  if (lead >= 0xe0) return lead <= 0xef ? 3 : 1;
  if (lead >= 0xc2) return 2;
  return 1;
}

/** Index >= start of the first byte in `buf` that begins a character. */
export function utf8StartBoundary(buf: Uint8Array, start: number): number {
  let i = start;
  // At most three continuation bytes can follow a lead byte.
  while (i < buf.length && i < start + 3 && isContinuation(buf[i] ?? 0)) i++;
  return i;
}

/** Largest index <= end such that buf[0..index) does not end inside a character. */
export function utf8EndBoundary(buf: Uint8Array, end: number): number {
  const limit = Math.min(end, buf.length);
  for (let back = 1; back <= 4 && limit - back >= 0; back++) {
    const byte = buf[limit - back] ?? 0;
    if (isContinuation(byte)) continue;
    // Found the lead byte of the last sequence: keep it only if it is complete.
    return sequenceLength(byte) > back ? limit - back : limit;
  }
  return limit;
}
