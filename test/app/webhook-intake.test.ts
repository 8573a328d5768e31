import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import type { StandInRepo } from "../support/github-stand-in.js";
import { type Harness, startHarness, WEBHOOK_SECRET } from "../support/kickoff-harness.js";
import { completedRun, kickoffYml, processed, ZERO } from "../support/e2e.js";
import { pushPayload, sendWebhook, signBody, streamOversizedWebhook } from "../support/webhooks.js";

describe("webhook intake", () => {
  let h: Harness;
  let repo: StandInRepo;
  let payload: Record<string, unknown>;

  beforeAll(async () => {
    h = await startHarness();
    repo = await h.gh.createRepo("acme/intake");
    const sha = await repo.commit({ branch: "main", files: { [CONFIG_PATH]: kickoffYml({ test: `run: "true"` }) } });
    payload = pushPayload(repo, { ref: "refs/heads/main", before: ZERO, after: sha });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function stored(): Promise<number> {
    const rows = await h.kickoff.store.db.selectFrom("deliveries").select("id").execute();
    return rows.length;
  }

  it("checks the published test vector: the signature covers the exact body", () => {
    expect(signBody(WEBHOOK_SECRET, "Hello, World!")).toBe("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  });

  it.each([
    ["a wrong signature", { signature: `sha256=${"0".repeat(64)}` }, 401],
    ["a signature made with another secret", { signature: signBody("not the secret", "{}") }, 401],
    ["an upper-case digest", { upper: true }, 401],
    ["a sha1= signature", { signature: "sha1=0123456789abcdef0123456789abcdef01234567" }, 401],
    ["no signature", { signature: null }, 400],
  ])("rejects %s and stores nothing", async (_name, o, status) => {
    const before = await stored();
    const body = JSON.stringify(payload);
    const signature = "upper" in o ? signBody(WEBHOOK_SECRET, body).toUpperCase().replace("SHA256=", "sha256=") : (o as { signature: string | null }).signature;
    const res = await sendWebhook(h.webhookUrl, { event: "push", payload, rawBody: body, secret: WEBHOOK_SECRET, signature });
    expect(res.status).toBe(status);
    expect(await stored()).toBe(before);
  });

  it("rejects a body changed after signing", async () => {
    const body = JSON.stringify(payload);
    const res = await sendWebhook(h.webhookUrl, { event: "push", payload, rawBody: `${body} `, signature: signBody(WEBHOOK_SECRET, body), secret: WEBHOOK_SECRET });
    expect(res.status).toBe(401);
  });

  it("answers 400 for malformed JSON (validly signed) and 415 for other content types", async () => {
    const before = await stored();
    expect((await sendWebhook(h.webhookUrl, { event: "push", payload: null, rawBody: '{"ref": "refs/heads/main",', secret: WEBHOOK_SECRET })).status).toBe(400);
    expect((await sendWebhook(h.webhookUrl, { event: "push", payload, secret: WEBHOOK_SECRET, contentType: "application/x-www-form-urlencoded" })).status).toBe(415);
    expect(await stored()).toBe(before);
  });

  it("answers 400 without X-GitHub-Event or X-GitHub-Delivery", async () => {
    expect((await sendWebhook(h.webhookUrl, { event: "push", payload, secret: WEBHOOK_SECRET, headers: { "x-github-event": null } })).status).toBe(400);
    expect((await sendWebhook(h.webhookUrl, { event: "push", payload, secret: WEBHOOK_SECRET, headers: { "x-github-delivery": null } })).status).toBe(400);
  });

  it("answers 413 to a body over 25 MiB, declared or streamed, and keeps serving", async () => {
    const big = Buffer.alloc(25 * 1024 * 1024 + 10, 0x20);
    const declared = await sendWebhook(h.webhookUrl, { event: "push", payload: null, rawBody: big, secret: WEBHOOK_SECRET });
    expect(declared.status).toBe(413);
    // Chunked: no content-length, so the limit is enforced while reading.
    const status = await streamOversizedWebhook(h.webhookUrl);
    expect([413, "error EPIPE", "error ECONNRESET"]).toContain(status);
    expect((await fetch(`${h.kickoff.url}/healthz`)).status).toBe(200);
  });

  it("processes a delivery once when GitHub sends it twice", async () => {
    const sha = await repo.commit({ branch: "main", files: { "a.txt": "1" } });
    const p = pushPayload(repo, { ref: "refs/heads/main", before: ZERO, after: sha });
    const first = await sendWebhook(h.webhookUrl, { event: "push", payload: p, secret: WEBHOOK_SECRET, id: "dup-1" });
    const second = await sendWebhook(h.webhookUrl, { event: "push", payload: p, secret: WEBHOOK_SECRET, id: "dup-1" });
    expect([first.status, second.status]).toEqual([202, 200]);
    await completedRun(h.gh, repo, "test", sha);
    expect(h.gh.checkRuns(repo.fullName, sha)).toHaveLength(1);
    const rows = await h.kickoff.store.db.selectFrom("deliveries").selectAll().where("id", "=", "dup-1").execute();
    expect(rows).toHaveLength(1);
  });

  it("acknowledges unknown events and payloads lacking what the event needs, and runs nothing", async () => {
    const unknown = await sendWebhook(h.webhookUrl, { event: "star", payload: { action: "created", repository: payload.repository }, secret: WEBHOOK_SECRET, id: "star-1" });
    expect(unknown.status).toBe(202);
    expect(await processed(h, "star-1")).toMatch(/^ignored: Kickoff does not act on star/);
    const empty = await sendWebhook(h.webhookUrl, { event: "push", payload: { ref: "refs/heads/main" }, secret: WEBHOOK_SECRET, id: "empty-1" });
    expect(empty.status).toBe(202);
    expect(await processed(h, "empty-1")).toMatch(/lacks repository or installation/);
    const own = await sendWebhook(h.webhookUrl, {
      event: "check_run",
      payload: { action: "completed", repository: payload.repository, installation: { id: 1 } },
      secret: WEBHOOK_SECRET,
      id: "own-1",
    });
    expect(own.status).toBe(202);
    expect(await processed(h, "own-1")).toMatch(/^ignored/);
  });

  it("answers 405 to other methods on the webhook path and 404 elsewhere", async () => {
    expect((await fetch(h.webhookUrl)).status).toBe(405);
    expect((await fetch(h.webhookUrl, { method: "PUT" })).status).toBe(405);
    expect((await fetch(`${h.kickoff.url}/nope`)).status).toBe(404);
  });

  it("serves /healthz and /readyz", async () => {
    expect((await fetch(`${h.kickoff.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.kickoff.url}/readyz`)).status).toBe(200);
  });
});
