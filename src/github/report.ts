import type { Kysely, Transaction } from "kysely";
import type { Clock } from "../shared/clock.js";
import { enqueueOutbox } from "../store/outbox.js";
import type { Build, Database } from "../store/schema.js";
import type { CheckRunRequest } from "./check-run-request.js";

export interface CheckRunPayload {
  owner: string;
  repo: string;
  request: CheckRunRequest;
}

/**
 * Queues check run writes for a build. Called inside the transaction that changed the
 * build, so a state change and its report are stored together or not at all.
 */
export async function reportCheckRun(db: Kysely<Database> | Transaction<Database>, clock: Clock, build: Build, requests: CheckRunRequest[]): Promise<void> {
  const [owner, repo] = splitRepository(build.repository);
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
