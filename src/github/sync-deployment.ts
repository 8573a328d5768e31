import type { Kysely } from "kysely";
import { getBuild } from "../store/queue.js";
import type { Database } from "../store/schema.js";
import type { DeploymentCreatePayload, DeploymentStatusPayload } from "./deployment-request.js";
import type { InstallationOctokit } from "./github-app.js";

/**
 * Creates a deploy build's GitHub deployment. Like check runs, a retried create first
 * looks for the deployment an earlier attempt may have made (its payload names the build)
 * and adopts it.
 */
export async function createDeployment(db: Kysely<Database>, octokit: InstallationOctokit, buildId: number, p: DeploymentCreatePayload, retried: boolean): Promise<void> {
  const build = await getBuild(db, buildId);
  if (!build || build.deployment_id !== null) return;
  let id: number | null = null;
  if (retried) {
    const existing = await octokit.paginate(octokit.rest.repos.listDeployments, { owner: p.owner, repo: p.repo, sha: p.sha, environment: p.environment, per_page: 100 });
    id = existing.find((d) => (d.payload as { kickoff_build?: unknown } | null)?.kickoff_build === buildId)?.id ?? null;
  }
  if (id === null) {
    const created = await octokit.rest.repos.createDeployment({
      owner: p.owner,
      repo: p.repo,
      ref: p.sha,
      environment: p.environment,
      description: p.description,
      payload: p.payload,
      // Kickoff orders deploys after their `needs` itself; GitHub must neither merge the
      // default branch in nor wait for commit statuses.
      auto_merge: false,
      required_contexts: [],
    });
    if (!("id" in created.data)) throw Object.assign(new Error(`GitHub did not create the deployment: ${created.data.message ?? "merged instead"}`), { status: 409 });
    id = created.data.id;
  }
  await db.updateTable("builds").set({ deployment_id: id }).where("id", "=", buildId).execute();
}

export async function postDeploymentStatus(db: Kysely<Database>, octokit: InstallationOctokit, buildId: number, p: DeploymentStatusPayload): Promise<void> {
  const build = await getBuild(db, buildId);
  if (!build) return;
  // Without a deployment (GitHub refused to create it) there is nothing to report on.
  if (build.deployment_id === null) throw Object.assign(new Error("the deployment was never created"), { status: 0 });
  await octokit.rest.repos.createDeploymentStatus({
    owner: p.owner,
    repo: p.repo,
    deployment_id: build.deployment_id,
    state: p.state,
    description: p.description,
    log_url: p.log_url,
    ...(p.environment_url ? { environment_url: p.environment_url } : {}),
  });
}
