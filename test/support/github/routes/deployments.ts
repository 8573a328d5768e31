import { asObject, intParam, invalid, notFound, paginate, route, type Route } from "../http.js";
import type { RepoImpl } from "../repo.js";
import { botLogin, userShape } from "../shapes.js";
import { listFor, type StandInState } from "../state.js";
import type { DeploymentRecord, DeploymentStatusRecord } from "../types.js";
import { repoOf } from "./repo-lookup.js";

type S = StandInState;

const STATES = ["error", "failure", "inactive", "in_progress", "queued", "pending", "success"];
const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

function deploymentShape(state: S, repo: RepoImpl, d: DeploymentRecord): Record<string, unknown> {
  const api = `${state.baseUrl}/api/v3/repos/${repo.fullName}/deployments/${d.id}`;
  return {
    id: d.id,
    node_id: `DE_${d.id}`,
    url: api,
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    environment: d.environment,
    original_environment: d.environment,
    description: d.description,
    transient_environment: d.transient_environment,
    production_environment: d.production_environment,
    creator: userShape(state, d.creator, "Bot"),
    created_at: d.created_at,
    updated_at: d.statuses.at(-1)?.created_at ?? d.created_at,
    statuses_url: `${api}/statuses`,
    repository_url: `${state.baseUrl}/api/v3/repos/${repo.fullName}`,
  };
}

function statusShape(state: S, repo: RepoImpl, d: DeploymentRecord, s: DeploymentStatusRecord): Record<string, unknown> {
  return {
    id: s.id,
    node_id: `DES_${s.id}`,
    state: s.state,
    description: s.description ?? "",
    environment: s.environment,
    log_url: s.log_url ?? "",
    target_url: s.log_url ?? "",
    environment_url: s.environment_url ?? "",
    creator: userShape(state, botLogin(), "Bot"),
    created_at: s.created_at,
    updated_at: s.created_at,
    deployment_url: `${state.baseUrl}/api/v3/repos/${repo.fullName}/deployments/${d.id}`,
  };
}

function optStr(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw invalid([`${key} must be a string.`]);
  return v;
}

function findDeployment(state: S, repo: RepoImpl, idParam: string | undefined): DeploymentRecord {
  const id = intParam(idParam, "id");
  const d = listFor(state.deployments, repo.fullName).find((x) => x.id === id);
  if (!d) throw notFound();
  return d;
}

export function deploymentsRoutes(): Route<S>[] {
  return [
    route<S>("POST", "/repos/:owner/:repo/deployments", "repo", async (ctx) => {
      const repo = repoOf(ctx);
      const body = asObject(ctx.body);
      const ref = optStr(body, "ref");
      if (!ref) throw invalid(["ref wasn't supplied."]);
      const sha = await repo.resolve(ref);
      if (!sha) throw invalid([`No ref found for: ${ref}`]);
      const description = optStr(body, "description") ?? null;
      if (description !== null && description.length > 140) throw invalid(["description is too long (maximum is 140 characters)."]);
      const environment = optStr(body, "environment") ?? "production";
      const rc = body.required_contexts;
      const d: DeploymentRecord = {
        id: ctx.state.nextId(),
        sha,
        ref,
        task: optStr(body, "task") ?? "deploy",
        environment,
        description,
        payload: body.payload ?? {},
        // Recorded as sent (GitHub's default is true) so tests can assert Kickoff sends false.
        auto_merge: body.auto_merge === undefined ? true : body.auto_merge === true,
        required_contexts: Array.isArray(rc) ? rc.map(String) : null,
        transient_environment: body.transient_environment === true,
        production_environment: body.production_environment === undefined ? environment === "production" : body.production_environment === true,
        creator: botLogin(),
        created_at: now(),
        statuses: [],
      };
      listFor(ctx.state.deployments, repo.fullName).push(d);
      return { status: 201, json: deploymentShape(ctx.state, repo, d) };
    }),
    route<S>("GET", "/repos/:owner/:repo/deployments", "repo", (ctx) => {
      const repo = repoOf(ctx);
      const q = ctx.query;
      const list = listFor(ctx.state.deployments, repo.fullName)
        .filter((d) => (q.sha === undefined || d.sha === q.sha) && (q.ref === undefined || d.ref === q.ref))
        .filter((d) => (q.task === undefined || d.task === q.task) && (q.environment === undefined || d.environment === q.environment))
        .slice()
        .reverse();
      const self = new URL(`${ctx.state.baseUrl}/api/v3/repos/${repo.fullName}/deployments`);
      for (const [k, v] of Object.entries(q)) if (k !== "page" && k !== "per_page") self.searchParams.set(k, v);
      const { page, headers } = paginate(list, q, self.toString());
      return { status: 200, json: page.map((d) => deploymentShape(ctx.state, repo, d)), headers };
    }),
    route<S>("GET", "/repos/:owner/:repo/deployments/:id", "repo", (ctx) => {
      const repo = repoOf(ctx);
      return { status: 200, json: deploymentShape(ctx.state, repo, findDeployment(ctx.state, repo, ctx.params.id)) };
    }),
    route<S>("POST", "/repos/:owner/:repo/deployments/:id/statuses", "repo", (ctx) => {
      const repo = repoOf(ctx);
      const d = findDeployment(ctx.state, repo, ctx.params.id);
      const body = asObject(ctx.body);
      const state = optStr(body, "state");
      if (!state || !STATES.includes(state)) throw invalid([`state must be one of ${STATES.join(", ")}.`]);
      const description = optStr(body, "description") ?? null;
      if (description !== null && description.length > 140) throw invalid(["description is too long (maximum is 140 characters)."]);
      const s: DeploymentStatusRecord = {
        id: ctx.state.nextId(),
        state,
        description,
        log_url: optStr(body, "log_url") ?? optStr(body, "target_url") ?? null,
        environment_url: optStr(body, "environment_url") ?? null,
        environment: optStr(body, "environment") ?? d.environment,
        created_at: now(),
      };
      d.statuses.push(s);
      return { status: 201, json: statusShape(ctx.state, repo, d, s) };
    }),
    route<S>("GET", "/repos/:owner/:repo/deployments/:id/statuses", "repo", (ctx) => {
      const repo = repoOf(ctx);
      const d = findDeployment(ctx.state, repo, ctx.params.id);
      const self = `${ctx.state.baseUrl}/api/v3/repos/${repo.fullName}/deployments/${d.id}/statuses`;
      const { page, headers } = paginate(d.statuses.slice().reverse(), ctx.query, self);
      return { status: 200, json: page.map((s) => statusShape(ctx.state, repo, d, s)), headers };
    }),
  ];
}
