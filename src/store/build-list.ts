import type { Kysely } from "kysely";
import type { Build, Database } from "./schema.js";

/** What the list can filter on: a live status, or how a finished build concluded. */
export const BUILD_STATES = ["queued", "waiting", "running", "success", "failure", "cancelled", "timed_out", "skipped", "action_required", "neutral"] as const;
export type BuildState = (typeof BUILD_STATES)[number];

export function isBuildState(value: string): value is BuildState {
  return (BUILD_STATES as readonly string[]).includes(value);
}

export interface BuildListFilter {
  repository: string | null;
  state: BuildState | null;
  /** Builds of private repositories are listed only for the admin. */
  includePrivate: boolean;
}

/** A page is either the newest, older than a build id, or newer than one. */
export type BuildListCursor = { before: number } | { after: number } | null;

const LIST_COLUMNS = [
  "id",
  "repository",
  "private",
  "html_url",
  "pipeline",
  "sha",
  "ref",
  "branch",
  "event",
  "pr_number",
  "sender",
  "status",
  "conclusion",
  "title",
  "queued_at",
  "started_at",
  "finished_at",
] as const;

/** The columns the list shows, as the schema types them. */
export type BuildListRow = Pick<Build, (typeof LIST_COLUMNS)[number]>;

export interface BuildListPage {
  builds: BuildListRow[];
  /** Cursor for the next older page, when there is one. */
  olderThan: number | null;
  /** Cursor for the next newer page, when this is not the newest. */
  newerThan: number | null;
}

/**
 * Newest first, by id (ids grow with time). Keyset pagination: a page is "ids below N"
 * or "ids above N", so paging stays cheap however many builds there are and a build
 * queued meanwhile does not shift the pages.
 */
export async function listBuilds(db: Kysely<Database>, filter: BuildListFilter, cursor: BuildListCursor, limit: number): Promise<BuildListPage> {
  let q = db.selectFrom("builds").select(LIST_COLUMNS);
  if (!filter.includePrivate) q = q.where("private", "=", 0);
  if (filter.repository !== null) q = q.where("repository", "=", filter.repository);
  const state = filter.state;
  if (state === "queued" || state === "waiting" || state === "running") q = q.where("status", "=", state);
  else if (state !== null) q = q.where("status", "=", "done").where("conclusion", "=", state);

  if (cursor !== null && "after" in cursor) {
    const rows = await q
      .where("id", ">", cursor.after)
      .orderBy("id", "asc")
      .limit(limit + 1)
      .execute();
    const builds = rows.slice(0, limit).reverse();
    return { builds, newerThan: rows.length > limit ? (builds[0]?.id ?? null) : null, olderThan: builds.at(-1)?.id ?? null };
  }
  const rows = await (cursor !== null ? q.where("id", "<", cursor.before) : q)
    .orderBy("id", "desc")
    .limit(limit + 1)
    .execute();
  const builds = rows.slice(0, limit);
  return {
    builds,
    olderThan: rows.length > limit ? (builds.at(-1)?.id ?? null) : null,
    newerThan: cursor !== null && builds.length > 0 ? (builds[0]?.id ?? null) : null,
  };
}

/** Repositories that have builds, for the filter; private ones only for the admin. */
export async function listRepositories(db: Kysely<Database>, includePrivate: boolean): Promise<string[]> {
  let q = db.selectFrom("builds").select("repository").distinct();
  if (!includePrivate) q = q.where("private", "=", 0);
  const rows = await q.orderBy("repository").limit(500).execute();
  return rows.map((r) => r.repository);
}
