import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertBuild } from "../../src/store/queue.js";
import type { Build } from "../../src/store/schema.js";
import { newBuild } from "../support/builds.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";
import { ADMIN_TOKEN, csrfOf, form, http, loginCookie, tokenFor } from "../support/web-client.js";
import { systemClock } from "../../src/shared/clock.js";

describe("who sees which build", () => {
  let h: Harness;
  let pub: Build;
  let priv: Build;

  beforeAll(async () => {
    h = await startHarness({ worker: false, env: { KICKOFF_ADMIN_TOKEN: ADMIN_TOKEN } });
    const db = h.kickoff.store.db;
    pub = (await insertBuild(db, newBuild({ repository: "acme/open", pipeline: "public-tests", queued_at: Date.now() })))!;
    priv = (await insertBuild(db, newBuild({ repository: "acme/secret", private: 1, pipeline: "secret-pipeline-name", queued_at: Date.now() })))!;
    await h.kickoff.store.appendLog({ buildId: priv.id, seq: 0, data: [Buffer.from("private output\n")], createdAt: Date.now(), workerId: null });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("shows a public repository's build to anyone", async () => {
    const page = await http(h, `/builds/${pub.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("public-tests");
  });

  it("shows nothing of a private build without the token, or with a wrong one: 404, not even its name", async () => {
    const wrong = (await tokenFor(h, priv.id)).replace(/^./, (c) => (c === "A" ? "B" : "A"));
    for (const path of [
      `/builds/${priv.id}`,
      `/builds/${priv.id}?token=${wrong}`,
      `/builds/${priv.id}?token=${await tokenFor(h, pub.id)}`,
      `/builds/${priv.id}/log`,
      `/builds/${priv.id}/events`,
      `/builds/${priv.id}/log/earlier?before=1`,
    ]) {
      const page = await http(h, path);
      expect(page.status, path).toBe(404);
      expect(page.text).not.toContain("secret");
      // Exactly what a build that does not exist gets.
      expect(page.text).toBe((await http(h, "/builds/999999")).text);
    }
    expect((await http(h, `/builds/${priv.id}`, { headers: { authorization: "Bearer not-the-admin-token-at-all" } })).status).toBe(404);
  });

  it("opens a private build's page, raw log and event stream with its signed token", async () => {
    const token = await tokenFor(h, priv.id);
    const page = await http(h, `/builds/${priv.id}?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("secret-pipeline-name");
    // The page's own links carry the token on.
    expect(page.text).toContain(`/builds/${priv.id}/log?token=${token}`);
    // The stream continues after the last chunk the page already shows.
    expect(page.text).toMatch(new RegExp(`data-events-url="/builds/${priv.id}/events\\?after=\\d+&#38;token=${token}"`));
    const log = await http(h, `/builds/${priv.id}/log?token=${token}`);
    expect(log.status).toBe(200);
    expect(log.text).toBe("private output\n");
    const controller = new AbortController();
    const events = await fetch(`${h.kickoff.url}/builds/${priv.id}/events?token=${token}`, { signal: controller.signal });
    expect(events.status).toBe(200);
    expect(events.headers.get("content-type")).toMatch(/^text\/event-stream/);
    controller.abort();
  });

  it("opens private builds for the admin, by bearer header or by the login cookie", async () => {
    expect((await http(h, `/builds/${priv.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
    const cookie = await loginCookie(h);
    expect(cookie).toMatch(/^kickoff_session=/);
    expect(cookie).not.toContain(ADMIN_TOKEN);
    expect((await http(h, `/builds/${priv.id}`, { headers: { cookie } })).status).toBe(200);
    expect((await http(h, `/builds/${priv.id}/log`, { headers: { cookie } })).text).toBe("private output\n");
  });

  it("sets an HttpOnly, SameSite=Strict session cookie only for the right token", async () => {
    const ok = await http(h, "/login", form({ token: ADMIN_TOKEN }));
    expect(ok.status).toBe(303);
    const setCookie = ok.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\//);
    const bad = await http(h, "/login", form({ token: "wrong-token-wrong-token" }));
    expect(bad.status).toBe(401);
    expect(bad.headers.get("set-cookie")).toBeNull();
    // A forged or tampered cookie is no session.
    const cookie = await loginCookie(h);
    const [, value] = cookie.split("=");
    const [expires, nonce, mac] = (value ?? "").split(".");
    const forged = `kickoff_session=${Number(expires) + 1000}.${nonce}.${mac}`;
    expect((await http(h, `/builds/${priv.id}`, { headers: { cookie: forged } })).status).toBe(404);
  });

  it("lists private builds only for the admin", async () => {
    const anonymous = await http(h, "/");
    expect(anonymous.status).toBe(200);
    expect(anonymous.text).toContain("public-tests");
    expect(anonymous.text).not.toContain("secret");
    const admin = await http(h, "/", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(admin.text).toContain("secret-pipeline-name");
    expect(admin.text).toContain("acme/secret");
  });

  it("keeps the audit log for the admin", async () => {
    expect((await http(h, "/deliveries")).status).toBe(401);
    expect((await http(h, "/deliveries")).text).not.toContain("<td>");
    expect((await http(h, "/deliveries", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
  });

  it("logs out with the session's form token only", async () => {
    const cookie = await loginCookie(h);
    const page = await http(h, "/", { headers: { cookie } });
    expect((await http(h, "/logout", form({}, cookie))).status).toBe(403);
    const out = await http(h, "/logout", form({ csrf: csrfOf(page.text) }, cookie));
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0/);
  });
});
