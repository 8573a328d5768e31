/** GitHub counts check run text limits in UTF-8 bytes, not characters. */
export const CHECK_RUN_TEXT_LIMIT = 65_535;

/** Cuts `text` to at most `maxBytes` UTF-8 bytes from the start, never inside a character. */
export function truncateBytes(text: string, maxBytes: number, marker = ""): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  const budget = Math.max(0, maxBytes - Buffer.byteLength(marker, "utf8"));
  let end = budget;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8") + marker;
}

/** Keeps the last `maxBytes` UTF-8 bytes of `text`, starting at a whole line when it can. */
export function tailBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  const tail = bytes.subarray(start).toString("utf8");
  const newline = tail.indexOf("\n");
  return newline >= 0 && newline < tail.length - 1 ? tail.slice(newline + 1) : tail;
}
