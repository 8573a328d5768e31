import { asObject, intParam, invalid, notFound, paginate, route, type Route } from "../http.js";
import type { RepoImpl } from "../repo.js";
import { botLogin, userShape } from "../shapes.js";
import { listFor, type StandInState } from "../state.js";
import type { IssueCommentRecord } from "../types.js";
import { repoOf } from "./repo-lookup.js";

type S = StandInState;

const REACTIONS = ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"];
const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

function commentShape(state: S, repo: RepoImpl, c: IssueCommentRecord): Record<string, unknown> {
  return {
    id: c.id,
    node_id: `IC_${c.id}`,
    body: c.body,
    user: userShape(state, c.user, c.user.endsWith("[bot]") ? "Bot" : "User"),
    html_url: `${repo.htmlUrl}/issues/${c.number}#issuecomment-${c.id}`,
    issue_url: `${state.baseUrl}/api/v3/repos/${repo.fullName}/issues/${c.number}`,
    url: `${state.baseUrl}/api/v3/repos/${repo.fullName}/issues/comments/${c.id}`,
    created_at: c.created_at,
    updated_at: c.updated_at,
    author_association: "NONE",
  };
}

function bodyOf(raw: unknown): string {
  const body = asObject(raw).body;
  if (typeof body !== "string" || !body) throw invalid(["body wasn't supplied."]);
  // GitHub's comment limit is 65536 characters.
  if (body.length > 65536) throw invalid(["body is too long (maximum is 65536 characters)."]);
  return body;
}

// GitHub's `permission` field predates the finer roles: maintain reads as write and
// triage as read; `role_name` carries the exact role.
const LEGACY: Record<string, string> = { admin: "admin", maintain: "write", write: "write", triage: "read", read: "read", none: "none" };

export function issuesRoutes(): Route<S>[] {
  return [
    route<S>("POST", "/repos/:owner/:repo/issues/:number/comments", "repo", (ctx) => {
      const repo = repoOf(ctx);
      const number = intParam(ctx.params.number, "number");
      const body = bodyOf(ctx.body);
      const at = now();
      const c: IssueCommentRecord = { id: ctx.state.nextId(), number, body, user: botLogin(), created_at: at, updated_at: at, history: [body] };
      listFor(ctx.state.comments, repo.fullName).push(c);
      return { status: 201, json: commentShape(ctx.state, repo, c) };
    }),
    route<S>("GET", "/repos/:owner/:repo/issues/:number/comments", "repo", (ctx) => {
      const repo = repoOf(ctx);
      const number = intParam(ctx.params.number, "number");
      const list = listFor(ctx.state.comments, repo.fullName).filter((c) => c.number === number);
      const self = `${ctx.state.baseUrl}/api/v3/repos/${repo.fullName}/issues/${number}/comments`;
      const { page, headers } = paginate(list, ctx.query, self);
      return { status: 200, json: page.map((c) => commentShape(ctx.state, repo, c)), headers };
    }),
    route<S>("PATCH", "/repos/:owner/:repo/issues/comments/:id", "repo", (ctx) => {
      const repo = repoOf(ctx);
      const id = intParam(ctx.params.id, "id");
      const c = listFor(ctx.state.comments, repo.fullName).find((x) => x.id === id);
      if (!c) throw notFound();
      c.body = bodyOf(ctx.body);
      c.updated_at = now();
      c.history.push(c.body);
      return { status: 200, json: commentShape(ctx.state, repo, c) };
    }),
    route<S>("POST", "/repos/:owner/:repo/issues/comments/:id/reactions", "repo", (ctx) => {
      const repo = repoOf(ctx);
      const commentId = intParam(ctx.params.id, "id");
      const content = asObject(ctx.body).content;
      if (typeof content !== "string" || !REACTIONS.includes(content)) throw invalid([`content must be one of ${REACTIONS.join(", ")}.`]);
      const list = listFor(ctx.state.reactions, repo.fullName);
      const existing = list.find((r) => r.commentId === commentId && r.content === content);
      const r = existing ?? { id: ctx.state.nextId(), commentId, content };
      if (!existing) list.push(r);
      // GitHub answers 200 when the same reaction already exists.
      return {
        status: existing ? 200 : 201,
        json: { id: r.id, node_id: `REA_${r.id}`, content, user: userShape(ctx.state, botLogin(), "Bot"), created_at: now() },
      };
    }),
    route<S>("GET", "/repos/:owner/:repo/collaborators/:user/permission", "repo", (ctx) => {
      const repo = repoOf(ctx);
      const login = ctx.params.user ?? "";
      const role = repo.permissions.get(login.toLowerCase());
      if (role === undefined) throw notFound();
      return {
        status: 200,
        json: { permission: LEGACY[role] ?? "none", role_name: role, user: userShape(ctx.state, login) },
      };
    }),
  ];
}
