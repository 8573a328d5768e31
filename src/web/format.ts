import { formatDuration } from "../config/duration.js";
import type { BuildStatus, Conclusion } from "../store/schema.js";
import { escapeHtml } from "./html.js";

interface BuildFacts {
  status: BuildStatus;
  conclusion: Conclusion | null;
  queued_at: number;
  started_at: number | null;
  finished_at: number | null;
}

/** One word for where a build is: its live status, or how it concluded. */
export function buildState(b: Pick<BuildFacts, "status" | "conclusion">): string {
  return b.status === "done" ? (b.conclusion ?? "done") : b.status;
}

export function stateBadge(b: Pick<BuildFacts, "status" | "conclusion">): string {
  const state = buildState(b);
  return `<span class="state state-${escapeHtml(state)}" data-state="${escapeHtml(state)}">${escapeHtml(state.replace(/_/g, " "))}</span>`;
}

/** Run time so far (running) or in all (finished); empty before it starts. */
export function buildDuration(b: BuildFacts, now: number): string {
  if (b.started_at === null) return "";
  return formatDuration(Math.max(0, (b.finished_at ?? now) - b.started_at));
}

export function age(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** A time people can read anywhere (UTC, to the second), with the exact value on hover. */
export function timeTag(at: number | null): string {
  if (at === null) return `<span class="muted">–</span>`;
  const iso = new Date(at).toISOString();
  return `<time datetime="${iso}">${iso.slice(0, 19).replace("T", " ")} UTC</time>`;
}
