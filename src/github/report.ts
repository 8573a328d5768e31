import type { Kysely, Transaction } from "kysely";
import type { Clock } from "../shared/clock.js";
import { enqueueOutbox } from "../store/outbox.js";
import type { Build, Database } from "../store/schema.js";
import { readBuildConfig } from "../planner/build-config.js";
import type { CheckRunRequest } from "./check-run-request.js";
import { type DeploymentCreatePayload, type DeploymentStatusPayload, deploymentDescription, deploymentState } from "./deployment-request.js";

export interface CheckRunPayload {
  owner: string;
  repo: string;
  request: CheckRunRequest;
}

/**
 * Queues check run writes for a build, and for a deploy its deployment's state. Called
 * inside the transaction that changed the build, so a state change and its reports are
 * stored together or not at all.
 */
export async function reportCheckRun(db: Kysely<Database> | Transaction<Database>, clock: Clock, build: Build, requests: CheckRunRequest[]): Promise<void> {
  const [owner, repo] = splitRepository(build.repository);
  if (build.environment !== null) await reportDeployment(db, clock, build, requests[0]?.details_url ?? "", owner, repo);
  for (const request of requests) {
    await enqueueOutbox(db, clock, {
      key: `check_run:${build.id}`,
      kind: "check_run",
      installationId: build.installation_id,
      repository: build.repository,
      buildId: build.id,
      payload: { owner, repo, request } satisfies CheckRunPayload,
    });
  }
}

/**
 * A deploy's GitHub deployment: created when the build is first reported (unless a
 * `deployment` webhook brought one), then one status per state change, in order.
 */
async function reportDeployment(db: Kysely<Database> | Transaction<Database>, clock: Clock, build: Build, logUrl: string, owner: string, repo: string): Promise<void> {
  const common = { key: `deployment:${build.id}`, installationId: build.installation_id, repository: build.repository, buildId: build.id };
  if (build.deployment_id === null && (build.status === "queued" || build.status === "waiting")) {
    const create: DeploymentCreatePayload = {
      owner,
      repo,
      sha: build.sha,
      environment: build.environment!,
      description: `${build.pipeline} #${build.id}`,
      payload: { kickoff_build: build.id },
    };
    await enqueueOutbox(db, clock, { ...common, kind: "deployment", payload: create });
  }
  const url = readBuildConfig(build.config).url;
  const status: DeploymentStatusPayload = {
    owner,
    repo,
    state: deploymentState(build),
    description: deploymentDescription(build),
    log_url: logUrl,
    ...(url ? { environment_url: url } : {}),
  };
  await enqueueOutbox(db, clock, { ...common, kind: "deployment_status", payload: status });
}

export function splitRepository(fullName: string): [string, string] {
  const slash = fullName.indexOf("/");
  return [fullName.slice(0, slash), fullName.slice(slash + 1)];
}

export interface CommentPayload {
  owner: string;
  repo: string;
  number: number;
  body: string;
}

export interface ReactionPayload {
  owner: string;
  repo: string;
  commentId: number;
  content: "+1" | "-1" | "confused" | "eyes" | "rocket";
}

/** A reply on a pull request; replies to one pull request keep their order. */
export async function reportComment(
  db: Kysely<Database> | Transaction<Database>,
  clock: Clock,
  installationId: number,
  repository: string,
  number: number,
  body: string,
): Promise<void> {
  const [owner, repo] = splitRepository(repository);
  await enqueueOutbox(db, clock, {
    key: `comment:${repository}#${number}`,
    kind: "comment",
    installationId,
    repository,
    buildId: null,
    payload: { owner, repo, number, body } satisfies CommentPayload,
  });
}

export async function reportReaction(
  db: Kysely<Database> | Transaction<Database>,
  clock: Clock,
  installationId: number,
  repository: string,
  commentId: number,
  content: ReactionPayload["content"],
): Promise<void> {
  const [owner, repo] = splitRepository(repository);
  await enqueueOutbox(db, clock, {
    key: `reaction:${repository}:${commentId}`,
    kind: "reaction",
    installationId,
    repository,
    buildId: null,
    payload: { owner, repo, commentId, content } satisfies ReactionPayload,
  });
}
