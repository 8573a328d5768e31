import { utf8EndBoundary, utf8StartBoundary } from "../runner/utf8-boundary.js";

/** GitHub counts check run text limits in UTF-8 bytes, not characters. */
export const CHECK_RUN_TEXT_LIMIT = 65_535;

/** Cuts `text` to at most `maxBytes` UTF-8 bytes from the start, never inside a character. */
export function truncateBytes(text: string, maxBytes: number, marker = ""): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  const budget = Math.max(0, maxBytes - Buffer.byteLength(marker, "utf8"));
  return bytes.subarray(0, utf8EndBoundary(bytes, budget)).toString("utf8") + marker;
}

/** Keeps the last `maxBytes` UTF-8 bytes of `text`, starting at a whole line when it can. */
export function tailBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  const tail = bytes.subarray(utf8StartBoundary(bytes, bytes.length - maxBytes)).toString("utf8");
  const newline = tail.indexOf("\n");
  return newline >= 0 && newline < tail.length - 1 ? tail.slice(newline + 1) : tail;
}
