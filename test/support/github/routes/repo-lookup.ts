import { notFound, type RouteContext } from "../http.js";
import type { RepoImpl } from "../repo.js";
import { repoKey, type StandInState } from "../state.js";

export function repoOf(ctx: RouteContext<StandInState>): RepoImpl {
  const repo = ctx.state.repos.get(repoKey(ctx.params.owner ?? "", ctx.params.repo ?? ""));
  if (!repo) throw notFound();
  return repo;
}
