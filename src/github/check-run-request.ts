import { formatDuration } from "../config/duration.js";
import type { Annotation } from "../runner/annotations.js";
import type { Build, Conclusion } from "../store/schema.js";
import { CHECK_RUN_TEXT_LIMIT, tailBytes, truncateBytes } from "./byte-limits.js";

/** The body of a check run create or update, as GitHub's Checks API takes it. */
export interface CheckRunRequest {
  name: string;
  head_sha: string;
  external_id: string;
  details_url: string;
  status: "queued" | "in_progress" | "completed";
  conclusion?: Conclusion;
  started_at?: string;
  completed_at?: string;
  output: { title: string; summary: string; text?: string; annotations?: CheckRunAnnotation[] };
  /** Buttons; an empty list removes them. */
  actions: CheckRunAction[];
}

export interface CheckRunAction {
  label: string;
  description: string;
  identifier: "cancel" | "approve";
}

const CANCEL: CheckRunAction = { label: "Cancel", description: "Stop this build", identifier: "cancel" };
const APPROVE: CheckRunAction = { label: "Approve and run", description: "Run this fork's commit", identifier: "approve" };

export interface CheckRunAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
}

export const ANNOTATIONS_PER_REQUEST = 50;

export function queuedRequest(build: Build, detailsUrl: string): CheckRunRequest {
  return {
    ...identity(build, detailsUrl),
    status: "queued",
    output: { title: build.status === "waiting" ? "Waiting for needs" : "Queued", summary: triggerLine(build) },
    actions: [CANCEL],
  };
}

export function inProgressRequest(build: Build, detailsUrl: string, startedAt: number): CheckRunRequest {
  const retry = build.attempt > 1 ? `\n\nAttempt ${build.attempt}: the previous runner was lost, so the build started again.` : "";
  return {
    ...identity(build, detailsUrl),
    status: "in_progress",
    started_at: new Date(startedAt).toISOString(),
    output: { title: build.attempt > 1 ? "Running (restarted)" : "Running", summary: `${triggerLine(build)}${retry}` },
    actions: [CANCEL],
  };
}

export interface Completion {
  logTail: string;
  annotations: Annotation[];
  droppedAnnotations: number;
  runSummary: string | null;
}

/**
 * A finished build as one or more requests: GitHub takes 50 annotations per request and
 * appends later ones, so every batch but the last goes out before the run is completed
 * (nothing may follow `completed`).
 */
export function completedRequests(build: Build, detailsUrl: string, done: Completion): CheckRunRequest[] {
  const conclusion = build.conclusion ?? "failure";
  const title = truncateBytes(build.title ?? conclusion, 255, "…");
  const summary = completedSummary(build, done);
  const text = logText(done.logTail);
  const annotations = done.annotations.map(toCheckRunAnnotation);
  const batches: CheckRunAnnotation[][] = [];
  for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST) batches.push(annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  const last = batches.pop() ?? [];
  const base = identity(build, detailsUrl);
  const requests: CheckRunRequest[] = batches.map((batch) => ({
    ...base,
    status: "in_progress",
    output: { title: "Reporting annotations", summary, annotations: batch },
    actions: [CANCEL],
  }));
  requests.push({
    ...base,
    status: "completed",
    conclusion,
    ...(build.started_at !== null ? { started_at: new Date(build.started_at).toISOString() } : {}),
    completed_at: new Date(build.finished_at ?? Date.now()).toISOString(),
    output: { title, summary, ...(text ? { text } : {}), ...(last.length ? { annotations: last } : {}) },
    actions: conclusion === "action_required" ? [APPROVE] : [],
  });
  return requests;
}

function identity(build: Build, detailsUrl: string) {
  return { name: build.pipeline, head_sha: build.sha, external_id: String(build.id), details_url: detailsUrl };
}

/** Webhook data (branch names) is shown in code spans without backticks so it cannot form markdown. */
function code(text: string): string {
  return `\`${text.replace(/[`\r\n]/g, "")}\``;
}

export function triggerLine(build: Build): string {
  const sha = `[${build.sha.slice(0, 7)}](${build.html_url}/commit/${build.sha})`;
  const who = build.sender ? ` by @${build.sender.replace(/[^A-Za-z0-9-[\]]/g, "")}` : "";
  if (build.event === "pull_request" && build.pr_number !== null) {
    return `**Trigger:** pull request [#${build.pr_number}](${build.html_url}/pull/${build.pr_number}) at ${sha}${who}`;
  }
  if (build.event === "push") {
    const what = build.ref?.startsWith("refs/tags/") ? `tag ${code(build.ref.slice(10))}` : `${code(build.branch ?? build.ref ?? "?")}`;
    return `**Trigger:** push to ${what} at ${sha}${who}`;
  }
  return `**Trigger:** ${build.event} at ${sha}${who}`;
}

function completedSummary(build: Build, done: Completion): string {
  const lines = [triggerLine(build)];
  if (build.started_at !== null && build.finished_at !== null) {
    lines.push(`**Duration:** ${formatDuration(build.finished_at - build.started_at)} (queued ${formatDuration(build.started_at - build.queued_at)})`);
  }
  if (build.attempt > 1) lines.push(`**Attempt:** ${build.attempt} (a previous runner was lost)`);
  if (done.droppedAnnotations > 0) lines.push(`**Annotations:** ${done.droppedAnnotations} more were not reported (limit reached)`);
  let summary = lines.join("  \n");
  if (done.runSummary?.trim()) summary += `\n\n${done.runSummary.trim()}\n`;
  return truncateBytes(summary, CHECK_RUN_TEXT_LIMIT, "\n\n… (summary truncated)");
}

function logText(tail: string): string {
  if (!tail) return "";
  const longestFence = Math.max(2, ...Array.from(tail.matchAll(/`+/g), (m) => m[0].length));
  const fence = "`".repeat(longestFence + 1);
  const head = `Last lines of the log:\n\n${fence}\n`;
  const foot = `\n${fence}\n`;
  const room = CHECK_RUN_TEXT_LIMIT - Buffer.byteLength(head + foot, "utf8");
  return head + tailBytes(tail, room) + foot;
}

function toCheckRunAnnotation(a: Annotation): CheckRunAnnotation {
  const startLine = a.startLine ?? 1;
  const endLine = a.endLine ?? startLine;
  const oneLine = startLine === endLine;
  return {
    // Annotations without a file go on the repository's workflow folder, as Actions does.
    path: a.path ?? ".github",
    start_line: startLine,
    end_line: endLine,
    ...(oneLine && a.startColumn !== null ? { start_column: a.startColumn } : {}),
    ...(oneLine && a.startColumn !== null && (a.endColumn ?? a.startColumn) >= a.startColumn ? { end_column: a.endColumn ?? a.startColumn } : {}),
    annotation_level: a.level,
    message: truncateBytes(a.message || "(no message)", 64 * 1024, "…"),
    ...(a.title ? { title: truncateBytes(a.title, 255, "…") } : {}),
  };
}
