import type { IncomingMessage, ServerResponse } from "node:http";
import { logSize, readLogChunks } from "../store/logs.js";
import { tokenQuery, visibleBuild } from "./build-access.js";
import { writeOrWait } from "../shared/write-or-wait.js";
import { parseAnnotations, renderBuildPage } from "./build-page.js";
import { commitMessage } from "./commit-message.js";
import { logSliceBefore, logTailSlice } from "./log-view.js";
import { query, viewer } from "./request.js";
import type { WebDeps } from "./web-deps.js";

type Params = Record<string, string | undefined>;

/** `GET /builds/:id`: facts, annotations and the end of the log, rendered on the server. */
export function buildPage(deps: WebDeps) {
  return async (req: IncomingMessage, res: ServerResponse, params: Params) => {
    const build = await visibleBuild(deps, req, res, params.id);
    if (!build) return;
    const [log, logBytes, message] = await Promise.all([logTailSlice(deps.store.db, build.id), logSize(deps.store.db, build.id), commitMessage(deps.store.db, build)]);
    const html = renderBuildPage(deps.assets, {
      build,
      log,
      logBytes,
      annotations: parseAnnotations(build.annotations),
      message,
      viewer: viewer(deps, req),
      now: deps.clock.now(),
      tokenQuery: tokenQuery(req),
    });
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(html);
  };
}

/** `GET /builds/:id/log/earlier?before=<seq>`: the rendered stretch of log before a chunk, as JSON. */
export function earlierLog(deps: WebDeps) {
  return async (req: IncomingMessage, res: ServerResponse, params: Params) => {
    const build = await visibleBuild(deps, req, res, params.id);
    if (!build) return;
    const before = query(req).get("before") ?? "";
    if (!/^\d{1,9}$/.test(before)) {
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
      res.end("before must be a chunk number\n");
      return;
    }
    const slice = await logSliceBefore(deps.store.db, build.id, Number(before));
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
    res.end(JSON.stringify(slice));
  };
}

/** `GET /builds/:id/log`: the whole raw log, streamed chunk by chunk so a 100 MB log never sits in memory. */
export function rawLog(deps: WebDeps) {
  return async (req: IncomingMessage, res: ServerResponse, params: Params) => {
    const build = await visibleBuild(deps, req, res, params.id);
    if (!build) return;
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    let after = -1;
    for (;;) {
      const chunks = await readLogChunks(deps.store.db, build.id, after, 64);
      if (chunks.length === 0) break;
      for (const c of chunks) {
        await writeOrWait(res, c.data);
        after = c.seq;
      }
      if (res.destroyed) return;
    }
    res.end();
  };
}
