import type { Kysely } from "kysely";
import { getBuild, setCheckRunId } from "../store/queue.js";
import type { Database } from "../store/schema.js";
import type { InstallationOctokit } from "./github-app.js";
import type { CheckRunPayload } from "./report.js";

/**
 * Brings GitHub's check run to the state in `payload`: creates it the first time, updates
 * it afterwards. A process can die after GitHub created the run and before its id was
 * stored; so a retried create first looks for a run of this build (same `external_id`)
 * and adopts it rather than making a second one.
 */
export async function syncCheckRun(db: Kysely<Database>, octokit: InstallationOctokit, buildId: number, payload: CheckRunPayload, retried: boolean): Promise<void> {
  const { owner, repo, request } = payload;
  const build = await getBuild(db, buildId);
  if (!build) return; // pruned meanwhile: nothing left to report on
  let id = build.check_run_id;
  if (id === null && retried) {
    id = await findCheckRun(octokit, owner, repo, request.head_sha, request.name, request.external_id);
    if (id !== null) await setCheckRunId(db, buildId, id);
  }
  if (id === null) {
    const created = await octokit.rest.checks.create({ owner, repo, ...request });
    await setCheckRunId(db, buildId, created.data.id);
    return;
  }
  const { head_sha: _sha, ...update } = request;
  await octokit.rest.checks.update({ owner, repo, check_run_id: id, ...update });
}

async function findCheckRun(octokit: InstallationOctokit, owner: string, repo: string, sha: string, name: string, externalId: string): Promise<number | null> {
  const runs = await octokit.paginate(octokit.rest.checks.listForRef, { owner, repo, ref: sha, check_name: name, filter: "all", per_page: 100 });
  return runs.find((r) => r.external_id === externalId)?.id ?? null;
}
