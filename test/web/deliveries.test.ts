import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import { eventually, kickoffYml, processed, pushCommit } from "../support/e2e.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";
import { pushPayload, sendWebhook } from "../support/webhooks.js";
import { ADMIN_TOKEN, http } from "../support/web-client.js";

const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };

describe("the deliveries audit log", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ worker: false, env: { KICKOFF_ADMIN_TOKEN: ADMIN_TOKEN } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("lists each delivery with what it led to, linking the builds it created", async () => {
    const repo = await h.gh.createRepo("acme/audited");
    const sha = await pushCommit(h, repo, "main", { [CONFIG_PATH]: kickoffYml({ test: "run: echo test", lint: "run: echo lint" }) }, "Add CI");
    const delivery = await eventually(
      async () => (await h.kickoff.store.db.selectFrom("deliveries").select(["id", "status"]).where("repository", "=", "acme/audited").executeTakeFirst()) ?? undefined,
      "delivery stored",
    );
    await processed(h, delivery.id);
    const builds = await h.kickoff.store.db.selectFrom("builds").select(["id", "pipeline"]).where("trigger_delivery", "=", delivery.id).execute();
    expect(builds).toHaveLength(2);

    const page = await http(h, "/deliveries", admin);
    expect(page.status).toBe(200);
    const row = new RegExp(`<tr data-delivery="${delivery.id}">.*?</tr>`).exec(page.text)?.[0] ?? "";
    expect(row).toContain("push");
    expect(row).toContain("acme/audited");
    expect(row).toContain(`<code>${delivery.id}</code>`);
    expect(row).toContain("octocat");
    expect(row).toContain("valid");
    expect(row).toContain("done");
    for (const b of builds) expect(row).toContain(`<a href="/builds/${b.id}">${b.pipeline} #${b.id}</a>`);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);

    // One delivery, as linked from a build page.
    const one = await http(h, `/deliveries?delivery=${encodeURIComponent(delivery.id)}`, admin);
    expect([...one.text.matchAll(/<tr data-delivery=/g)]).toHaveLength(1);
  });

  it("says why a delivery started nothing", async () => {
    const repo = await h.gh.createRepo("acme/no-config");
    await pushCommit(h, repo, "main", { "README.md": "hi\n" });
    const delivery = await eventually(
      async () => (await h.kickoff.store.db.selectFrom("deliveries").select("id").where("repository", "=", "acme/no-config").executeTakeFirst()) ?? undefined,
      "delivery stored",
    );
    expect(await processed(h, delivery.id)).toMatch(/^no config/);
    const page = await http(h, "/deliveries", admin);
    const row = new RegExp(`<tr data-delivery="${delivery.id}">.*?</tr>`).exec(page.text)?.[0] ?? "";
    expect(row).toContain("no config: .github/kickoff.yml not found");
  });

  it("records refused requests (bad signature) without their payload, and stores nothing else of them", async () => {
    const repo = await h.gh.createRepo("acme/forged");
    const res = await sendWebhook(h.webhookUrl, {
      event: "push",
      id: "forged-delivery-1",
      payload: { ...pushPayload(repo, { ref: "refs/heads/main", before: "0".repeat(40), after: "1".repeat(40) }), marker: "PAYLOAD-MARKER" },
      secret: "not the secret",
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    const page = await eventually(async () => {
      const p = await http(h, "/deliveries", admin);
      return p.text.includes("forged-delivery-1") ? p : undefined;
    }, "refusal recorded");
    const table = /<table class="list" id="rejections">.*?<\/table>/s.exec(page.text)?.[0] ?? "";
    expect(table).toContain("forged-delivery-1");
    expect(table).toMatch(/signature/i);
    expect(page.text).not.toContain("PAYLOAD-MARKER");
    expect(await h.kickoff.store.db.selectFrom("deliveries").select("id").where("id", "=", "forged-delivery-1").executeTakeFirst()).toBeUndefined();
  });

  it("pages older deliveries by keyset", async () => {
    const repo = await h.gh.createRepo("acme/busy");
    const sent: string[] = [];
    for (let i = 0; i < 105; i++) {
      const id = `busy-${String(i).padStart(3, "0")}`;
      await h.send("ping", { zen: "hi", repository: { full_name: repo.fullName } }, { id });
      sent.push(id);
    }
    const first = await http(h, "/deliveries", admin);
    const next = /rel="next" href="([^"]+)"/.exec(first.text)?.[1];
    expect(next).toBeDefined();
    const second = await http(h, next!.replaceAll("&#38;", "&"), admin);
    const ids = (html: string) => [...html.matchAll(/<tr data-delivery="([^"]+)">/g)].map((m) => m[1]);
    const all = [...ids(first.text), ...ids(second.text)];
    expect(new Set(all).size).toBe(all.length);
    for (const id of sent) expect(all).toContain(id);
  });
});
