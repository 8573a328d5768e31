import type { IncomingMessage, ServerResponse } from "node:http";
import { readLogChunks } from "../store/logs.js";
import { getBuild } from "../store/queue.js";
import type { Build } from "../store/schema.js";
import { visibleBuild } from "./build-access.js";
import { writeOrWait } from "../shared/write-or-wait.js";
import { buildDuration, buildState } from "./format.js";
import { LiveLogRenderer } from "./log-view.js";
import { query } from "./request.js";
import type { WebDeps } from "./web-deps.js";

const DEFAULT_POLL_MS = 500;
const KEEPALIVE_MS = 15_000;
/** Each open stream polls the database; past this many, new ones are turned away. */
const MAX_STREAMS = 200;
const CHUNKS_PER_READ = 16;

let openStreams = 0;

/** What the page shows of a build's state; sent again only when it changes. */
function statusEvent(b: Build, now: number) {
  return { status: b.status, state: buildState(b), title: b.title ?? "", duration: buildDuration(b, now) || "not started", finishedAt: b.finished_at };
}

/**
 * `GET /builds/:id/events`: server-sent events while a build runs. `log` events carry new
 * chunks as HTML (id = chunk number, so a reconnecting EventSource resumes where it
 * was), `status` events the state, and `end` comes once the build is done and every
 * chunk was sent. The database is polled, so a build running on another machine streams
 * the same way.
 */
export function buildEvents(deps: WebDeps) {
  return async (req: IncomingMessage, res: ServerResponse, params: Record<string, string | undefined>) => {
    const build = await visibleBuild(deps, req, res, params.id);
    if (!build) return;
    if (openStreams >= MAX_STREAMS) {
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "10" });
      res.end("too many live streams\n");
      return;
    }
    const resume = req.headers["last-event-id"] ?? query(req).get("after") ?? "-1";
    let after = /^-?\d{1,9}$/.test(String(resume)) ? Number(resume) : -1;
    const db = deps.store.db;
    const pollMs = deps.livePollMs ?? DEFAULT_POLL_MS;

    openStreams += 1;
    let closed = false;
    let wake: (() => void) | null = null;
    res.on("close", () => {
      closed = true;
      wake?.();
    });
    // Sleeps until the next poll, or until the client goes away.
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });

    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" });
    res.write("retry: 2000\n\n");
    const send = (event: string, data: unknown, id?: number) => writeOrWait(res, `${id !== undefined ? `id: ${id}\n` : ""}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

    try {
      const renderer = await LiveLogRenderer.after(db, build.id, after);
      // Sends every chunk stored so far (stops early once the client is gone).
      const sendNewChunks = async (): Promise<void> => {
        for (;;) {
          const chunks = await readLogChunks(db, build.id, after, CHUNKS_PER_READ);
          for (const c of chunks) {
            if (closed) return;
            await send("log", { seq: c.seq, html: renderer.render(c.data) }, c.seq);
            after = c.seq;
          }
          if (chunks.length < CHUNKS_PER_READ) return;
        }
      };
      let lastStatus = "";
      let lastWrite = Date.now();
      while (!closed) {
        await sendNewChunks();
        const current = await getBuild(db, build.id);
        if (closed) break;
        if (!current) {
          await send("end", { reason: "gone" });
          break;
        }
        const status = statusEvent(current, deps.clock.now());
        const key = JSON.stringify({ ...status, duration: current.status === "done" ? status.duration : "" });
        if (key !== lastStatus) {
          lastStatus = key;
          await send("status", status);
          lastWrite = Date.now();
        }
        if (current.status === "done") {
          // The worker stores its last chunks before it marks the build done, so one
          // more read after seeing "done" finds everything.
          await sendNewChunks();
          await send("end", { state: status.state });
          break;
        }
        if (Date.now() - lastWrite >= KEEPALIVE_MS) {
          await writeOrWait(res, ": keep-alive\n\n");
          lastWrite = Date.now();
        }
        await pause(pollMs);
      }
    } catch (error) {
      // The server closing (and the database with it) ends streams mid-read; that is no fault.
      if (!closed) throw error;
    } finally {
      openStreams -= 1;
      if (!res.writableEnded) res.end();
    }
  };
}
