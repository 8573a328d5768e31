import { readdir } from "node:fs/promises";
import path from "node:path";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import { removeTree } from "./remove-tree.js";

const BATCH = 500;

/**
 * Removes the workspaces (`builds/<id>`) of finished builds. A worker removes its build's
 * workspace after reporting it, so a process killed in between leaves one behind; this
 * runs when a worker starts. Only finished builds (or ones retention already deleted) are
 * swept: a queued build clears its own directory when it starts again, and a running one
 * may belong to another process sharing this data directory.
 */
export async function sweepWorkspaces(db: Kysely<Database>, buildsDir: string): Promise<number> {
  const names = await readdir(buildsDir).catch(() => [] as string[]);
  const ids = names.filter((name) => /^[1-9][0-9]{0,15}$/.test(name)).map(Number);
  let removed = 0;
  for (let i = 0; i < ids.length; i += BATCH) {
    const batch = ids.slice(i, i + BATCH);
    const rows = await db.selectFrom("builds").select(["id", "status"]).where("id", "in", batch).execute();
    const live = new Set(rows.filter((r) => r.status !== "done").map((r) => Number(r.id)));
    for (const id of batch) {
      if (live.has(id)) continue;
      await removeTree(path.join(buildsDir, String(id)));
      removed++;
    }
  }
  return removed;
}
