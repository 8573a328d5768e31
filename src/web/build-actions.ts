import type { IncomingMessage, ServerResponse } from "node:http";
import { rerunBuilds, requestCancel } from "../planner/control.js";
import { getBuild } from "../store/queue.js";
import { readForm, redirect, sendText } from "./request.js";
import type { WebDeps } from "./web-deps.js";

type Params = Record<string, string | undefined>;

/**
 * The admin's buttons. POST only, and only with the bearer token or the admin session
 * plus its CSRF token: a page elsewhere cannot make the admin's browser press them. The
 * check comes before the build is looked up, so a refusal says nothing about the build.
 */
async function authorised(deps: WebDeps, req: IncomingMessage, res: ServerResponse, params: Params) {
  const form = await readForm(req);
  if (!deps.auth.mayChange(req, form?.get("csrf") ?? null)) {
    sendText(res, 403, "admin session and a valid form token required\n");
    return undefined;
  }
  const id = /^\d{1,15}$/.test(params.id ?? "") ? Number(params.id) : 0;
  const build = id > 0 ? await getBuild(deps.store.db, id) : undefined;
  if (!build) sendText(res, 404, "build not found\n");
  return build;
}

/** `POST /builds/:id/cancel`: through the planner's cancel, as GitHub's Cancel button is. */
export function cancelBuild(deps: WebDeps) {
  return async (req: IncomingMessage, res: ServerResponse, params: Params) => {
    const build = await authorised(deps, req, res, params);
    if (!build) return;
    const result = await requestCancel(deps.control, build, "Cancelled from the dashboard");
    deps.log.info({ build: build.id, delivery: build.trigger_delivery ?? undefined, result }, "cancel requested from the dashboard");
    redirect(res, `/builds/${build.id}`);
  };
}

/** `POST /builds/:id/rerun`: a new build of the same pipeline and commit; opens its page. */
export function rerunBuild(deps: WebDeps) {
  return async (req: IncomingMessage, res: ServerResponse, params: Params) => {
    const build = await authorised(deps, req, res, params);
    if (!build) return;
    if (build.status !== "done") {
      sendText(res, 409, "the build is still queued or running; cancel it first\n");
      return;
    }
    const [fresh] = await rerunBuilds(deps.control, [build], "admin (dashboard)", null);
    deps.log.info({ build: build.id, rerun: fresh?.id }, "re-run requested from the dashboard");
    redirect(res, `/builds/${fresh?.id ?? build.id}`);
  };
}
