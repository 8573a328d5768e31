import type { Logger } from "pino";
import { completedRequests } from "../github/check-run-request.js";
import { reportCheckRun } from "../github/report.js";
import { readBuildConfig } from "../planner/build-config.js";
import { releaseDependents } from "../planner/release-dependents.js";
import type { Clock } from "../shared/clock.js";
import type { Store } from "../store/database.js";
import { readLogTail } from "../store/logs.js";
import { abandonedBuilds, concludeUnclaimed, requeueLost, type WorkerIdentity } from "../store/queue.js";
import type { Build } from "../store/schema.js";
import type { Links } from "../web/links.js";
import { stripAnsi } from "./log-tail.js";
import { killOrphanedRun } from "./orphan-processes.js";
import { processAlive, workerPid } from "./worker-identity.js";

export interface ReaperDeps {
  store: Store;
  clock: Clock;
  links: Links;
  log: Logger;
  self: WorkerIdentity;
  wake(): void;
}

/** A build is re-run once after its runner vanished; the second loss ends it. */
const MAX_ATTEMPTS = 2;

/**
 * Finds builds whose worker is gone. At start, this machine's own builds from a dead
 * process are recovered at once; otherwise a build is abandoned when its lease lapsed.
 * No build stays `running` forever: it is re-queued (same check run, still in progress)
 * or finished as failed with a title that says why.
 */
export async function reapAbandoned(deps: ReaperDeps, scope: "own-machine" | "expired"): Promise<number> {
  let builds = await abandonedBuilds(deps.store.db, deps.clock, scope === "own-machine" ? deps.self.host : null);
  // A lapsed lease of this very process only means its heartbeat ran late (a busy event
  // loop); the build is still running here, so it is not lost.
  builds = builds.filter((b) => b.worker_id !== deps.self.id);
  if (scope === "own-machine") {
    builds = builds.filter((b) => {
      const pid = b.worker_id ? workerPid(b.worker_id) : null;
      return pid === null || pid === process.pid || !processAlive(pid);
    });
  }
  let reaped = 0;
  for (const build of builds) {
    if (scope === "own-machine" && build.process_group !== null && killOrphanedRun(build.process_group, build.id)) {
      deps.log.warn({ build: build.id, processGroup: build.process_group }, "killed the script a dead process left running");
    }
    if (await reapOne(deps, build)) reaped++;
  }
  if (reaped > 0) deps.wake();
  return reaped;
}

async function reapOne(deps: ReaperDeps, build: Build): Promise<boolean> {
  const log = deps.log.child({ build: build.id, worker: build.worker_id });
  const deploy = readBuildConfig(build.config).environment !== null;
  if (!deploy && build.attempt < MAX_ATTEMPTS) {
    const requeued = await requeueLost(deps.store.db, build);
    if (requeued) log.warn("runner lost; build re-queued");
    return requeued;
  }
  const title = deploy ? "Runner lost mid-deploy: re-run it by hand" : `Runner lost ${build.attempt} times; giving up`;
  const tail = await readLogTail(deps.store.db, build.id, 64 * 1024);
  const logTail = stripAnsi(Buffer.concat(tail.map((c) => c.data)).toString("utf8"));
  const done = await deps.store.db.transaction().execute(async (trx) => {
    const finished = await concludeUnclaimed(trx, deps.clock, build, { conclusion: "failure", title, exitCode: null, summary: null, annotations: null });
    if (!finished) return false;
    await reportCheckRun(
      trx,
      deps.clock,
      finished,
      completedRequests(finished, deps.links.buildUrl(finished.id), { logTail, annotations: [], droppedAnnotations: 0, runSummary: null }),
    );
    await releaseDependents(trx, deps.clock, deps.links, finished);
    return true;
  });
  if (done) log.error(title);
  return done;
}
