// Durations as people write them in config and environment variables ("90s", "15m",
// "1h30m", "30d"), and as Kickoff shows them in check run titles ("3m 4s").

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: readonly Unit[] = ["d", "h", "m", "s"];

// Whole numbers only: "1.5h" is ambiguous to read at a glance; "1h30m" is not.
const PART = /(\d+)\s*([dhms])/y;

/**
 * Milliseconds, or null when the text is not a duration. A bare integer means seconds.
 * Units must appear largest first, each at most once ("1h30m", "1h 30m"; not "30m1h").
 */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * UNIT_MS.s;

  let total = 0;
  let lastUnitIndex = -1;
  let offset = 0;
  while (offset < trimmed.length) {
    PART.lastIndex = offset;
    const match = PART.exec(trimmed);
    if (match === null) return null;
    const unit = match[2] as Unit;
    const unitIndex = UNIT_ORDER.indexOf(unit);
    if (unitIndex <= lastUnitIndex) return null;
    lastUnitIndex = unitIndex;
    total += Number(match[1]) * UNIT_MS[unit];
    offset = PART.lastIndex;
    while (trimmed[offset] === " ") offset += 1;
  }
  return Number.isSafeInteger(total) ? total : null;
}

/**
 * Short human text in the style of GitHub Actions: "12s", "3m 4s", "15m", "1h 2m".
 * Under a second it shows tenths ("0.4s") so quick runs do not all read "0s"; below
 * 50 ms it says "0s". Hours drop the seconds, which nobody reads at that scale.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0s";
  if (ms < 950) {
    const tenths = Math.round(ms / 100);
    return tenths === 0 ? "0s" : `0.${tenths}s`;
  }
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  if (minutes > 0) return seconds > 0 ? `${minutes}m ${seconds}s` : `${minutes}m`;
  return `${seconds}s`;
}
