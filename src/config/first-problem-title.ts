// The title of the failing `kickoff` check run for an invalid config (DESIGN.md section 2).

import { CONFIG_PATH, type ConfigProblem } from "./kickoff-config.js";

// GitHub rejects check run output titles over 255 characters.
const MAX_TITLE = 255;

/** "Invalid .github/kickoff.yml: <first message> (line N)", at most 255 characters. */
export function firstProblemTitle(errors: readonly ConfigProblem[]): string {
  const prefix = `Invalid ${CONFIG_PATH}`;
  const first = errors[0];
  if (first === undefined) return prefix;
  const suffix = ` (line ${first.line})`;
  const room = MAX_TITLE - prefix.length - 2 - suffix.length;
  return `${prefix}: ${truncate(first.message.replace(/\s+/g, " "), room)}${suffix}`;
}

// Counts UTF-16 units (what `.length` and GitHub's limit see) without splitting a surrogate pair.
function truncate(text: string, room: number): string {
  if (text.length <= room) return text;
  let out = "";
  for (const char of text) {
    if (out.length + char.length > room - 1) break;
    out += char;
  }
  return `${out}…`;
}
