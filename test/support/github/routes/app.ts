import { randomUUID } from "node:crypto";
import { HttpError, asObject, intParam, notFound, route, type Reply, type Route } from "../http.js";
import { appShape, installationShape, repoShape } from "../shapes.js";
import { repoKey, type StandInState } from "../state.js";
import type { HookDelivery } from "../types.js";

type S = StandInState;

function installationOr404(state: S, id: number): Record<string, unknown> {
  const shape = installationShape(state, id);
  if (!shape) throw notFound();
  return shape;
}

function listDeliveries(state: S, query: Record<string, string>): Reply {
  const perPage = Math.min(Math.max(Number(query.per_page ?? 30) || 30, 1), 100);
  // Newest first, as GitHub lists them; the cursor is an opaque offset.
  let items = [...state.hookDeliveries].sort((a, b) => b.delivered_at.localeCompare(a.delivered_at) || b.id - a.id);
  if (query.status === "success") items = items.filter((d) => d.status_code >= 200 && d.status_code < 300);
  if (query.status === "failure") items = items.filter((d) => d.status_code < 200 || d.status_code >= 300);
  const start = query.cursor ? Number(Buffer.from(query.cursor, "base64url").toString()) || 0 : 0;
  const page = items.slice(start, start + perPage);
  const headers: Record<string, string> = {};
  if (start + perPage < items.length) {
    const next = new URL(`${state.baseUrl}/api/v3/app/hook/deliveries`);
    for (const [k, v] of Object.entries(query)) if (k !== "cursor") next.searchParams.set(k, v);
    next.searchParams.set("per_page", String(perPage));
    next.searchParams.set("cursor", Buffer.from(String(start + perPage)).toString("base64url"));
    headers.link = `<${next.toString()}>; rel="next"`;
  }
  return { status: 200, json: page, headers };
}

export function appRoutes(): Route<S>[] {
  return [
    route<S>("GET", "/app", "jwt", ({ state }) => ({ status: 200, json: appShape(state) })),
    route<S>("GET", "/app/installations", "jwt", ({ state }) => {
      const ids = [...new Set([...state.repos.values()].map((r) => r.installationId))];
      return { status: 200, json: ids.map((id) => installationShape(state, id)) };
    }),
    route<S>("GET", "/app/installations/:id", "jwt", ({ state, params }) => ({
      status: 200,
      json: installationOr404(state, intParam(params.id, "id")),
    })),
    route<S>("POST", "/app/installations/:id/access_tokens", "jwt", ({ state, params }) => {
      const id = intParam(params.id, "id");
      const inst = installationOr404(state, id);
      const { token, expiresAt } = state.tokens.issue(id);
      return {
        status: 201,
        json: {
          token,
          expires_at: expiresAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
          permissions: inst.permissions,
          repository_selection: "all",
        },
      };
    }),
    route<S>("GET", "/repos/:owner/:repo/installation", "jwt", ({ state, params }) => {
      const repo = state.repos.get(repoKey(params.owner ?? "", params.repo ?? ""));
      if (!repo) throw notFound();
      return { status: 200, json: installationOr404(state, repo.installationId) };
    }),
    route<S>("GET", "/installation/repositories", "installation", ({ state, auth }) => {
      const repos = [...state.repos.values()].filter((r) => r.installationId === auth.installationId);
      return {
        status: 200,
        json: { total_count: repos.length, repository_selection: "all", repositories: repos.map((r) => repoShape(state, r)) },
      };
    }),
    route<S>("GET", "/app/hook/deliveries", "jwt", ({ state, query }) => listDeliveries(state, query)),
    route<S>("GET", "/app/hook/deliveries/:id", "jwt", ({ state, params }) => {
      const d = state.hookDeliveries.find((x) => x.id === intParam(params.id, "id"));
      if (!d) throw notFound();
      return { status: 200, json: d };
    }),
    route<S>("POST", "/app/hook/deliveries/:id/attempts", "jwt", ({ state, params, body }) => {
      asObject(body);
      const id = intParam(params.id, "id");
      if (!state.hookDeliveries.some((d) => d.id === id)) throw notFound();
      state.redeliveryAttempts.push(id);
      return { status: 202, json: {} };
    }),
  ];
}

export function makeDeliveries(state: S, items: Array<Partial<HookDelivery>>): HookDelivery[] {
  return items.map((item) => {
    const code = item.status_code ?? 200;
    const d: HookDelivery = {
      id: item.id ?? state.nextId(),
      guid: item.guid ?? randomUUID(),
      delivered_at: item.delivered_at ?? new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      redelivery: item.redelivery ?? false,
      duration: item.duration ?? 0.1,
      status: item.status ?? (code >= 200 && code < 300 ? "OK" : `Invalid HTTP Response: ${code}`),
      status_code: code,
      event: item.event ?? "push",
      action: item.action ?? null,
      installation_id: item.installation_id ?? null,
      repository_id: item.repository_id ?? null,
    };
    if (state.hookDeliveries.some((x) => x.id === d.id)) throw new HttpError(500, `duplicate delivery id ${d.id}`);
    state.hookDeliveries.push(d);
    return d;
  });
}
