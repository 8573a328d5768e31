import { HttpError, asObject, intParam, invalid, notFound, paginate, route, type Route } from "../http.js";
import type { RepoImpl } from "../repo.js";
import { appShape } from "../shapes.js";
import { clone, type StandInState, type StoredCheckRun } from "../state.js";
import type { Annotation, CheckRunRecord } from "../types.js";
import { repoOf } from "./repo-lookup.js";

type S = StandInState;

const STATUSES = ["queued", "in_progress", "completed"];
const CONCLUSIONS = ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out"];
const LEVELS = ["notice", "warning", "failure"];
const MAX_TEXT_BYTES = 65535;
const MAX_ANNOTATION_BYTES = 64 * 1024;

const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

interface CheckRunInput {
  name?: string;
  head_sha?: string;
  status?: string;
  conclusion?: string;
  external_id?: string;
  details_url?: string;
  started_at?: string;
  completed_at?: string;
  output?: { title?: string; summary?: string; text?: string; annotations: Annotation[] };
  actions?: unknown[];
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

function optString(body: Record<string, unknown>, key: string, errors: string[]): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") {
    errors.push(`For 'properties/${key}', ${JSON.stringify(v)} is not a string.`);
    return undefined;
  }
  return v;
}

function validateAnnotation(a: unknown, i: number, errors: string[]): Annotation | undefined {
  const where = `annotations[${i}]`;
  if (typeof a !== "object" || a === null) {
    errors.push(`${where} is not an object.`);
    return undefined;
  }
  const o = a as Record<string, unknown>;
  const before = errors.length;
  if (typeof o.path !== "string" || !o.path) errors.push(`${where}: path is required.`);
  if (!isInt(o.start_line) || o.start_line < 1) errors.push(`${where}: start_line is required and must be a positive integer.`);
  if (!isInt(o.end_line) || o.end_line < 1) errors.push(`${where}: end_line is required and must be a positive integer.`);
  if (isInt(o.start_line) && isInt(o.end_line) && o.end_line < o.start_line) errors.push(`${where}: end_line is before start_line.`);
  if (typeof o.annotation_level !== "string" || !LEVELS.includes(o.annotation_level)) errors.push(`${where}: annotation_level must be one of ${LEVELS.join(", ")}.`);
  if (typeof o.message !== "string" || !o.message) errors.push(`${where}: message is required.`);
  else if (Buffer.byteLength(o.message) > MAX_ANNOTATION_BYTES) errors.push(`${where}: message is too long.`);
  if (o.title !== undefined && o.title !== null && (typeof o.title !== "string" || o.title.length > 255))
    errors.push(`${where}: title must be a string of at most 255 characters.`);
  if (o.raw_details !== undefined && o.raw_details !== null && (typeof o.raw_details !== "string" || Buffer.byteLength(o.raw_details) > MAX_ANNOTATION_BYTES))
    errors.push(`${where}: raw_details must be a string of at most 64 kilobytes.`);
  for (const col of ["start_column", "end_column"] as const) {
    if (o[col] === undefined || o[col] === null) continue;
    if (!isInt(o[col])) errors.push(`${where}: ${col} must be an integer.`);
    // GitHub's rule: columns only make sense on a single line.
    else if (o.start_line !== o.end_line) errors.push(`${where}: ${col} is only allowed when start_line equals end_line.`);
  }
  if (errors.length > before) return undefined;
  return clone(o) as unknown as Annotation;
}

function validateActions(v: unknown, errors: string[]): unknown[] | undefined {
  if (!Array.isArray(v)) {
    errors.push("actions must be an array.");
    return undefined;
  }
  if (v.length > 3) errors.push(`actions: at most 3 are allowed; ${v.length} were supplied.`);
  v.forEach((a: unknown, i) => {
    const o = (typeof a === "object" && a !== null ? a : {}) as Record<string, unknown>;
    const limits = { label: 20, description: 40, identifier: 20 } as const;
    for (const [key, max] of Object.entries(limits)) {
      const s = o[key];
      if (typeof s !== "string" || !s) errors.push(`actions[${i}]: ${key} is required.`);
      else if (s.length > max) errors.push(`actions[${i}]: ${key} is too long (maximum is ${max} characters).`);
    }
  });
  return clone(v);
}

function parseInput(raw: unknown, creating: boolean): CheckRunInput {
  const body = asObject(raw);
  const errors: string[] = [];
  const input: CheckRunInput = {
    name: optString(body, "name", errors),
    head_sha: optString(body, "head_sha", errors),
    status: optString(body, "status", errors),
    conclusion: optString(body, "conclusion", errors),
    external_id: optString(body, "external_id", errors),
    details_url: optString(body, "details_url", errors),
    started_at: optString(body, "started_at", errors),
    completed_at: optString(body, "completed_at", errors),
  };
  if (creating && !input.name) errors.push("name wasn't supplied.");
  if (creating && !input.head_sha) errors.push("head_sha wasn't supplied.");
  if (input.status !== undefined && !STATUSES.includes(input.status)) errors.push(`status is not included in the list: ${input.status}`);
  if (input.conclusion !== undefined && !CONCLUSIONS.includes(input.conclusion)) errors.push(`conclusion is not included in the list: ${input.conclusion}`);
  for (const key of ["started_at", "completed_at"] as const) {
    const v = input[key];
    if (v !== undefined && Number.isNaN(Date.parse(v))) errors.push(`${key} is not a valid ISO 8601 timestamp.`);
  }
  if (input.details_url !== undefined && !/^https?:\/\//.test(input.details_url)) errors.push("details_url must be an http(s) URL.");
  if (body.output !== undefined && body.output !== null) {
    const o = typeof body.output === "object" ? (body.output as Record<string, unknown>) : {};
    const title = optString(o, "title", errors);
    const summary = optString(o, "summary", errors);
    const text = optString(o, "text", errors);
    if (!title) errors.push("output.title wasn't supplied.");
    if (!summary) errors.push("output.summary wasn't supplied.");
    for (const [key, v] of [
      ["summary", summary],
      ["text", text],
    ] as const) {
      const bytes = v === undefined ? 0 : Buffer.byteLength(v, "utf8");
      if (bytes > MAX_TEXT_BYTES) errors.push(`output.${key}: Only ${MAX_TEXT_BYTES} characters are allowed; ${bytes} were supplied.`);
    }
    const list = o.annotations ?? [];
    const annotations: Annotation[] = [];
    if (!Array.isArray(list)) errors.push("output.annotations must be an array.");
    else {
      if (list.length > 50) errors.push(`output.annotations: at most 50 are allowed per request; ${list.length} were supplied.`);
      list.forEach((a: unknown, i) => {
        const ok = validateAnnotation(a, i, errors);
        if (ok) annotations.push(ok);
      });
    }
    input.output = { title, summary, text, annotations };
  }
  if (body.actions !== undefined && body.actions !== null) input.actions = validateActions(body.actions, errors);
  if (errors.length) throw invalid(errors);
  return input;
}

/** Applies GitHub's status/conclusion rules to `run`, in place. */
function apply(run: CheckRunRecord, input: CheckRunInput): void {
  if (input.name !== undefined) run.name = input.name;
  if (input.external_id !== undefined) run.external_id = input.external_id;
  if (input.details_url !== undefined) run.details_url = input.details_url;
  if (input.started_at !== undefined) run.started_at = input.started_at;
  if (input.actions !== undefined) run.actions = input.actions;
  if (input.conclusion !== undefined) {
    // A conclusion completes the run whatever status was sent with it.
    run.status = "completed";
    run.conclusion = input.conclusion;
    run.completed_at = input.completed_at ?? now();
  } else if (input.status === "completed" || input.completed_at !== undefined) {
    if (run.conclusion === null) throw invalid(["conclusion must be supplied when status is completed or completed_at is set."]);
    run.status = "completed";
    if (input.completed_at !== undefined) run.completed_at = input.completed_at;
  } else if (input.status !== undefined) {
    // GitHub accepts moving a completed run back; history keeps it visible to tests.
    run.status = input.status;
    run.conclusion = null;
    run.completed_at = null;
  }
  if (input.output) {
    run.output.title = input.output.title ?? run.output.title;
    run.output.summary = input.output.summary ?? run.output.summary;
    if (input.output.text !== undefined) run.output.text = input.output.text;
    run.output.annotations.push(...input.output.annotations);
  }
}

function shape(state: S, stored: StoredCheckRun): Record<string, unknown> {
  const { run, repo } = stored;
  const api = `${state.baseUrl}/api/v3/repos/${repo}/check-runs/${run.id}`;
  return {
    id: run.id,
    node_id: `CR_${run.id}`,
    name: run.name,
    head_sha: run.head_sha,
    external_id: run.external_id ?? "",
    url: api,
    html_url: `${state.baseUrl}/${repo}/runs/${run.id}`,
    details_url: run.details_url,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.started_at,
    completed_at: run.completed_at,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.output.annotations.length,
      annotations_url: `${api}/annotations`,
    },
    check_suite: { id: suiteId(repo, run.head_sha) },
    app: appShape(state),
    pull_requests: [],
  };
}

function suiteId(repo: string, sha: string): number {
  let h = 7;
  for (const c of `${repo}@${sha}`) h = (h * 31 + c.charCodeAt(0)) % 2_000_000_000;
  return h;
}

function stored(state: S, repo: RepoImpl, idParam: string | undefined): StoredCheckRun {
  const s = state.checkRuns.get(intParam(idParam, "id"));
  if (!s || s.repo !== repo.fullName) throw notFound();
  return s;
}

export function checksRoutes(): Route<S>[] {
  return [
    route<S>("POST", "/repos/:owner/:repo/check-runs", "repo", async (ctx) => {
      const repo = repoOf(ctx);
      const input = parseInput(ctx.body, true);
      const headSha = input.head_sha ?? "";
      if (!/^[0-9a-f]{40}$/.test(headSha) || !(await repo.hasCommit(headSha))) throw invalid([`No commit found for SHA: ${headSha}`]);
      const run: CheckRunRecord = {
        id: ctx.state.nextId(),
        name: input.name ?? "",
        head_sha: headSha,
        status: "queued",
        conclusion: null,
        external_id: null,
        details_url: null,
        output: { title: null, summary: null, text: null, annotations: [] },
        actions: [],
        started_at: now(),
        completed_at: null,
      };
      apply(run, input);
      const s: StoredCheckRun = { repo: repo.fullName, run, history: [clone(run)] };
      ctx.state.checkRuns.set(run.id, s);
      return { status: 201, json: shape(ctx.state, s) };
    }),
    route<S>("PATCH", "/repos/:owner/:repo/check-runs/:id", "repo", (ctx) => {
      const s = stored(ctx.state, repoOf(ctx), ctx.params.id);
      const input = parseInput(ctx.body, false);
      if (input.head_sha !== undefined) throw invalid(["head_sha cannot be changed."]);
      // Validate against a copy so a rejected update changes nothing.
      const next = clone(s.run);
      apply(next, input);
      s.run = next;
      s.history.push(clone(next));
      return { status: 200, json: shape(ctx.state, s) };
    }),
    route<S>("GET", "/repos/:owner/:repo/check-runs/:id", "repo", (ctx) => ({
      status: 200,
      json: shape(ctx.state, stored(ctx.state, repoOf(ctx), ctx.params.id)),
    })),
    route<S>("GET", "/repos/:owner/:repo/check-runs/:id/annotations", "repo", (ctx) => {
      const s = stored(ctx.state, repoOf(ctx), ctx.params.id);
      const self = `${ctx.state.baseUrl}/api/v3/repos/${s.repo}/check-runs/${s.run.id}/annotations`;
      const { page, headers } = paginate(s.run.output.annotations, ctx.query, self);
      return { status: 200, json: page, headers };
    }),
    route<S>("GET", "/repos/:owner/:repo/commits/:ref/check-runs", "repo", async (ctx) => {
      const repo = repoOf(ctx);
      const sha = await repo.resolve(ctx.params.ref ?? "");
      if (!sha) throw new HttpError(422, `No commit found for SHA: ${ctx.params.ref ?? ""}`);
      const q = ctx.query;
      let runs = [...ctx.state.checkRuns.values()].filter((s) => s.repo === repo.fullName && s.run.head_sha === sha);
      if (q.check_name !== undefined) runs = runs.filter((s) => s.run.name === q.check_name);
      if (q.status !== undefined) runs = runs.filter((s) => s.run.status === q.status);
      runs.sort((a, b) => b.run.id - a.run.id);
      if ((q.filter ?? "latest") === "latest") {
        const seen = new Set<string>();
        runs = runs.filter((s) => !seen.has(s.run.name) && seen.add(s.run.name));
      }
      const self = `${ctx.state.baseUrl}/api/v3/repos/${repo.fullName}/commits/${encodeURIComponent(ctx.params.ref ?? "")}/check-runs`;
      const url = new URL(self);
      for (const [k, v] of Object.entries(q)) if (k !== "page" && k !== "per_page") url.searchParams.set(k, v);
      const { page, headers } = paginate(runs, q, url.toString());
      return { status: 200, json: { total_count: runs.length, check_runs: page.map((s) => shape(ctx.state, s)) }, headers };
    }),
  ];
}
