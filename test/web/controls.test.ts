import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBuild, insertBuild } from "../../src/store/queue.js";
import { newBuild } from "../support/builds.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";
import { ADMIN_TOKEN, csrfOf, form, http, loginCookie } from "../support/web-client.js";

describe("the admin's cancel and re-run buttons", () => {
  let h: Harness;
  let cookie: string;

  beforeAll(async () => {
    h = await startHarness({ worker: false, env: { KICKOFF_ADMIN_TOKEN: ADMIN_TOKEN } });
    cookie = await loginCookie(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  const queued = async () => (await insertBuild(h.kickoff.store.db, newBuild({ queued_at: Date.now() })))!;

  it("shows the buttons only to the admin, each form carrying the session's CSRF token", async () => {
    const build = await queued();
    const anonymous = await http(h, `/builds/${build.id}`);
    expect(anonymous.text).not.toContain(`action="/builds/${build.id}/cancel"`);
    const admin = await http(h, `/builds/${build.id}`, { headers: { cookie } });
    expect(admin.text).toContain(`action="/builds/${build.id}/cancel"`);
    expect(csrfOf(admin.text)).toMatch(/^[\w-]{20,}$/);
  });

  it("refuses a cancel without the CSRF token, with another session's token, or without a session", async () => {
    const build = await queued();
    const page = await http(h, `/builds/${build.id}`, { headers: { cookie } });
    const csrf = csrfOf(page.text);
    const other = await loginCookie(h);
    const otherCsrf = csrfOf((await http(h, `/builds/${build.id}`, { headers: { cookie: other } })).text);
    // Every login is its own session with its own token.
    expect(otherCsrf).not.toBe(csrf);
    for (const init of [form({}, cookie), form({ csrf: "x".repeat(43) }, cookie), form({ csrf }), form({ csrf: otherCsrf }, cookie)]) {
      const res = await http(h, `/builds/${build.id}/cancel`, init);
      expect(res.status).toBe(403);
    }
    // Only POST changes anything.
    expect((await http(h, `/builds/${build.id}/cancel`, { headers: { cookie } })).status).toBe(405);
    expect((await getBuild(h.kickoff.store.db, build.id))?.status).toBe("queued");
  });

  it("cancels a queued build through the planner, and reports it to GitHub", async () => {
    const build = await queued();
    const page = await http(h, `/builds/${build.id}`, { headers: { cookie } });
    const res = await http(h, `/builds/${build.id}/cancel`, form({ csrf: csrfOf(page.text) }, cookie));
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/builds/${build.id}`);
    const after = await getBuild(h.kickoff.store.db, build.id);
    expect(after).toMatchObject({ status: "done", conclusion: "cancelled", title: "Cancelled from the dashboard" });
    const outbox = await h.kickoff.store.db.selectFrom("outbox").select("key").where("build_id", "=", build.id).execute();
    expect(outbox.length).toBeGreaterThan(0);
  });

  it("asks a running build's worker to stop", async () => {
    const build = (await insertBuild(h.kickoff.store.db, newBuild({ queued_at: Date.now(), status: "running", worker_id: "elsewhere/1", started_at: Date.now() })))!;
    const res = await http(h, `/builds/${build.id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(303);
    expect(await getBuild(h.kickoff.store.db, build.id)).toMatchObject({ status: "running", cancel_requested: 1 });
  });

  it("re-runs a finished build as a new build and opens its page", async () => {
    const build = (await insertBuild(h.kickoff.store.db, newBuild({ queued_at: Date.now(), status: "done", conclusion: "failure", finished_at: Date.now() })))!;
    const page = await http(h, `/builds/${build.id}`, { headers: { cookie } });
    expect(page.text).toContain(`action="/builds/${build.id}/rerun"`);
    const res = await http(h, `/builds/${build.id}/rerun`, form({ csrf: csrfOf(page.text) }, cookie));
    expect(res.status).toBe(303);
    const id = Number(/\/builds\/(\d+)$/.exec(res.headers.get("location") ?? "")?.[1]);
    expect(id).toBeGreaterThan(build.id);
    expect(await getBuild(h.kickoff.store.db, id)).toMatchObject({ pipeline: build.pipeline, sha: build.sha, status: "queued" });
  });

  it("refuses a re-run of a build that has not finished", async () => {
    const build = await queued();
    const res = await http(h, `/builds/${build.id}/rerun`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(409);
  });
});
