import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { selectRedeliveries, type DeliveryItem } from "../../src/redeliver/failed-deliveries.js";
import { type GitHubStandIn, type HookDelivery, startGitHubStandIn } from "../support/github-stand-in.js";
import { startHarness } from "../support/kickoff-harness.js";
import { kickoffCli } from "../support/kickoff-cli.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kickoff-redeliver-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const MINUTE = 60_000;
const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().replace(/\.\d{3}Z$/, "Z");

interface Scenario {
  /** Ids Kickoff must ask GitHub to redeliver, each once. */
  expected: number[];
  /** Ids it must leave alone although they failed. */
  leftAlone: number[];
}

/**
 * 250 deliveries in the last ~4 hours (three pages of 100) and 150 from two days ago:
 * failures scattered over every page, some already redelivered successfully, one whose
 * redelivery failed too, one that timed out (status_code 0), and old failures.
 */
function addDeliveries(gh: GitHubStandIn): Scenario {
  const recent = gh.addHookDeliveries(
    Array.from({ length: 250 }, (_, i) => {
      const failed = i % 25 === 7;
      return { delivered_at: at((i + 10) * MINUTE), status_code: failed ? (i === 32 ? 0 : 503) : 200, ...(i === 32 ? { status: "timed out" } : {}) };
    }),
  );
  const failed = recent.filter((d) => d.status_code !== 200);
  const [recovered1, recovered2, failedAgain] = failed as [HookDelivery, HookDelivery, HookDelivery];
  // Redeliveries are listed as their own items, newer, with the same GUID.
  gh.addHookDeliveries([
    { guid: recovered1.guid, redelivery: true, delivered_at: at(2 * MINUTE), status_code: 200 },
    { guid: recovered2.guid, redelivery: true, delivered_at: at(3 * MINUTE), status_code: 202 },
  ]);
  const [retry] = gh.addHookDeliveries([{ guid: failedAgain.guid, redelivery: true, delivered_at: at(4 * MINUTE), status_code: 500 }]);
  const old = gh.addHookDeliveries(Array.from({ length: 150 }, (_, i) => ({ delivered_at: at(48 * 60 * MINUTE + i * MINUTE), status_code: i % 10 === 0 ? 500 : 200 })));
  const stillLost = failed.filter((d) => d !== recovered1 && d !== recovered2 && d !== failedAgain);
  return {
    expected: [...stillLost.map((d) => d.id), retry!.id].sort((a, b) => a - b),
    leftAlone: [recovered1.id, recovered2.id, failedAgain.id, ...old.filter((d) => d.status_code !== 200).map((d) => d.id)],
  };
}

function cliEnv(gh: GitHubStandIn): Record<string, string> {
  return { APP_ID: String(gh.appId), PRIVATE_KEY: gh.privateKey, GHE_HOST: gh.host, GHE_PROTOCOL: "http" };
}

const listRequests = (gh: GitHubStandIn) => gh.requests.filter((r) => r.method === "GET" && r.path === "/api/v3/app/hook/deliveries");

describe("kickoff redeliver", () => {
  let gh: GitHubStandIn;
  beforeEach(async () => {
    gh = await startGitHubStandIn();
  });
  afterEach(async () => {
    await gh.close();
  });

  it("pages through the deliveries and asks once for each failed one that never succeeded", async () => {
    const scenario = addDeliveries(gh);
    const result = await kickoffCli(["redeliver", "--since", "24h"], { cwd: tmp, env: cliEnv(gh) });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const attempts = gh.redeliveryAttempts();
    expect([...attempts].sort((a, b) => a - b)).toEqual(scenario.expected);
    for (const id of scenario.leftAlone) expect(attempts).not.toContain(id);
    // Authenticated as the App, paged with the cursor, and stopped once past the window.
    const pages = listRequests(gh);
    expect(pages.every((r) => r.auth.kind === "jwt")).toBe(true);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.length).toBeLessThan(Math.ceil(403 / 100));
    expect(pages.slice(1).every((r) => r.query.cursor !== undefined)).toBe(true);
    expect(result.stdout).toContain(`redelivered ${scenario.expected[0]} push`);
    expect(result.stdout).toContain(`253 deliveries checked, 10 failed, 2 of those delivered later; ${scenario.expected.length} redelivered.`);
  });

  it("--dry-run only prints what it would redeliver", async () => {
    const scenario = addDeliveries(gh);
    const result = await kickoffCli(["redeliver", "--dry-run"], { cwd: tmp, env: cliEnv(gh) });
    expect(result.code, result.stderr).toBe(0);
    expect(gh.redeliveryAttempts()).toEqual([]);
    for (const id of scenario.expected) expect(result.stdout).toContain(`would redeliver ${id} `);
    expect(result.stdout).toContain(`; ${scenario.expected.length} would be redelivered (dry run: nothing sent).`);
  });

  it("says in one line when GitHub refuses, and without credentials what to set", async () => {
    gh.fail({ method: "GET", path: /\/app\/hook\/deliveries$/, status: 401, body: { message: "Bad credentials" } });
    const refused = await kickoffCli(["redeliver"], { cwd: tmp, env: cliEnv(gh) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe("kickoff redeliver: GitHub refused the App's credentials (HTTP 401): check APP_ID and the private key\n");

    const missing = await kickoffCli(["redeliver"], { cwd: tmp, env: { GHE_HOST: gh.host } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("missing APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH.");
    expect(missing.stderr).toContain("run kickoff redeliver again");
    expect(missing.stderr).not.toContain("WEBHOOK_SECRET=");

    const badSince = await kickoffCli(["redeliver", "--since", "yesterday"], { cwd: tmp, env: cliEnv(gh) });
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toBe('kickoff redeliver: --since expects a duration such as 30m, 24h or 3d, got "yesterday" (see kickoff redeliver --help)\n');
  });

  it("KICKOFF_REDELIVER_ON_START redelivers in the background when the server starts", async () => {
    const scenario = addDeliveries(gh);
    const harness = await startHarness({ gh, env: { KICKOFF_REDELIVER_ON_START: "24h" } });
    try {
      await gh.waitFor(() => gh.redeliveryAttempts().length >= scenario.expected.length, { timeoutMs: 30_000, message: "redelivery at start" });
      expect([...gh.redeliveryAttempts()].sort((a, b) => a - b)).toEqual(scenario.expected);
    } finally {
      await harness.close();
    }
  });

  it("a failing deliveries API never stops the server from starting", async () => {
    gh.fail({ method: "GET", path: /\/app\/hook\/deliveries$/, status: 500 });
    const harness = await startHarness({ gh, env: { KICKOFF_REDELIVER_ON_START: "1h" } });
    try {
      await gh.waitFor(() => listRequests(gh).length > 0, { timeoutMs: 30_000 });
      const health = await fetch(`${harness.kickoff.url}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      await harness.close();
    }
  });
});

describe("selectRedeliveries", () => {
  const item = (o: Partial<DeliveryItem> & { id: number }): DeliveryItem => ({
    guid: `g${o.id}`,
    delivered_at: "2024-01-01T12:00:00Z",
    redelivery: false,
    status: "",
    status_code: 200,
    event: "push",
    action: null,
    ...o,
  });

  it("picks the newest failed attempt of a GUID that never got a 2xx, once", () => {
    const since = Date.parse("2024-01-01T00:00:00Z");
    const selection = selectRedeliveries(
      [
        item({ id: 5, guid: "a", status_code: 500, delivered_at: "2024-01-01T13:00:00Z", redelivery: true }),
        item({ id: 1, guid: "a", status_code: 502, delivered_at: "2024-01-01T10:00:00Z" }),
        item({ id: 2, guid: "b", status_code: 0 }),
        item({ id: 3, guid: "c", status_code: 500 }),
        item({ id: 4, guid: "c", status_code: 204, redelivery: true }),
        item({ id: 6, guid: "d", status_code: 500, delivered_at: "2023-12-31T23:00:00Z" }),
        item({ id: 7, guid: "e", status_code: 301 }),
      ],
      since,
    );
    expect(selection.toRedeliver.map((d) => d.id)).toEqual([2, 7, 5]);
    expect(selection).toMatchObject({ checked: 6, failedGuids: 4, recoveredGuids: 1 });
  });
});
