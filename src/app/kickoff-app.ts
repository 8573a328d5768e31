import type { ApplicationFunction } from "probot";
import type { PlannerDeps } from "../planner/planner-deps.js";
import { setDeliveryOutcome } from "../store/inbox.js";
import { onCheckRun } from "./on-check-run.js";
import { onCheckSuite } from "./on-check-suite.js";
import { onDeployment } from "./on-deployment.js";
import { onIssueComment } from "./on-issue-comment.js";
import { onPullRequest } from "./on-pull-request.js";
import { onPush } from "./on-push.js";

/**
 * Kickoff as a Probot app. Handlers run off the request path: the inbox processor feeds
 * stored deliveries to `probot.receive`, once each, and every handler records what the
 * delivery led to.
 */
export function kickoffApp(deps: PlannerDeps): ApplicationFunction {
  const recording =
    <C extends { id: string }>(handle: (context: C, deps: PlannerDeps) => Promise<string>) =>
    async (context: C): Promise<void> => {
      await setDeliveryOutcome(deps.store.db, context.id, await handle(context, deps));
    };
  return (app) => {
    app.on("push", recording(onPush));
    app.on("pull_request", recording(onPullRequest));
    app.on("check_run", recording(onCheckRun));
    app.on("check_suite", recording(onCheckSuite));
    app.on("deployment", recording(onDeployment));
    app.on("issue_comment", recording(onIssueComment));
  };
}
