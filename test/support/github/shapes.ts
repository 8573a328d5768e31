import type { RepoImpl } from "./repo.js";
import type { StandInState } from "./state.js";

// Minimal but valid versions of GitHub's REST objects: the fields clients commonly read,
// with real values rather than placeholders where the stand-in knows them.

function hashId(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) % 9_000_000;
  return 1_000_000 + h;
}

export function userShape(state: StandInState, login: string, type: "User" | "Bot" | "Organization" = "User"): Record<string, unknown> {
  return {
    login,
    id: hashId(login),
    node_id: `U_${login}`,
    type,
    site_admin: false,
    url: `${state.baseUrl}/api/v3/users/${login}`,
    html_url: `${state.baseUrl}/${login}`,
    avatar_url: `${state.baseUrl}/avatars/${login}`,
  };
}

export function botLogin(): string {
  return "kickoff[bot]";
}

export function repoShape(state: StandInState, repo: RepoImpl): Record<string, unknown> {
  const api = `${state.baseUrl}/api/v3/repos/${repo.fullName}`;
  return {
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: repo.fullName,
    private: repo.private,
    visibility: repo.private ? "private" : "public",
    owner: userShape(state, repo.owner, "Organization"),
    html_url: repo.htmlUrl,
    clone_url: repo.cloneUrl,
    git_url: repo.cloneUrl.replace(/^http/, "git"),
    url: api,
    default_branch: repo.defaultBranch,
    fork: false,
    archived: false,
    disabled: false,
    permissions: { admin: false, maintain: false, push: false, triage: false, pull: true },
  };
}

export function appShape(state: StandInState): Record<string, unknown> {
  return {
    id: state.appId,
    slug: "kickoff",
    node_id: `A_${state.appId}`,
    name: "Kickoff",
    owner: userShape(state, "kickoff-owner", "Organization"),
    html_url: `${state.baseUrl}/apps/kickoff`,
    permissions: {
      checks: "write",
      statuses: "write",
      deployments: "write",
      contents: "read",
      pull_requests: "read",
      issues: "write",
      metadata: "read",
    },
    events: ["push", "pull_request", "check_run", "check_suite", "issue_comment", "deployment"],
  };
}

export function installationShape(state: StandInState, id: number): Record<string, unknown> | undefined {
  const repo = [...state.repos.values()].find((r) => r.installationId === id);
  if (!repo) return undefined;
  return {
    id,
    account: userShape(state, repo.owner, "Organization"),
    app_id: state.appId,
    app_slug: "kickoff",
    target_id: hashId(repo.owner),
    target_type: "Organization",
    repository_selection: "all",
    access_tokens_url: `${state.baseUrl}/api/v3/app/installations/${id}/access_tokens`,
    repositories_url: `${state.baseUrl}/api/v3/installation/repositories`,
    html_url: `${state.baseUrl}/settings/installations/${id}`,
    permissions: (appShape(state) as { permissions: unknown }).permissions,
    events: (appShape(state) as { events: unknown }).events,
    created_at: "2024-01-01T00:00:00Z",
    updated_at: "2024-01-01T00:00:00Z",
    suspended_at: null,
  };
}
