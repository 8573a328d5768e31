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
  return (app) => {
    app.on("push", async (context) => {
      await setDeliveryOutcome(deps.store.db, context.id, await onPush(context, deps));
    });
    app.on("pull_request", async (context) => {
      await setDeliveryOutcome(deps.store.db, context.id, await onPullRequest(context, deps));
    });
    app.on("check_run", async (context) => {
      await setDeliveryOutcome(deps.store.db, context.id, await onCheckRun(context, deps));
    });
    app.on("check_suite", async (context) => {
      await setDeliveryOutcome(deps.store.db, context.id, await onCheckSuite(context, deps));
    });
    app.on("deployment", async (context) => {
      await setDeliveryOutcome(deps.store.db, context.id, await onDeployment(context, deps));
    });
    app.on("issue_comment", async (context) => {
      await setDeliveryOutcome(deps.store.db, context.id, await onIssueComment(context, deps));
    });
  };
}
