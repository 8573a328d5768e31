import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import type { StandInRepo } from "../support/github-stand-in.js";
import { type Browser, launchChromium } from "../support/browser.js";
import { completedRun, eventually, kickoffYml, pushCommit } from "../support/e2e.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";
import { ADMIN_TOKEN } from "../support/web-client.js";

const WAIT = { timeout: 60_000 };

/** The page's getComputedStyle, typed here (the tests' TypeScript has no DOM library). */
type Styled = { getComputedStyle(e: unknown): { color: string; fontWeight: string } };
const OUTPUT = path.resolve("test-output");

/** A pipeline that prints, then waits for the test to open `gate` before printing more. */
function gatedPipeline(gate: string): string {
  return kickoffYml({
    live: `env:
  GATE: ${JSON.stringify(gate)}
run: |
  printf '\\033[32mgreen before the gate\\033[0m\\n'
  printf '\\033[1;31mbold red\\033[0m and plain\\n'
  echo '<script>window.__injected = 1</script> stays text'
  while [ ! -f "$GATE" ]; do sleep 0.1; done
  printf '\\033[36mafter the gate\\033[0m\\n'
  echo "::warning file=src/app.ts,line=7::Something to look at"`,
  });
}

describe("the build page in a real browser (Debian's Chromium)", () => {
  let h: Harness;
  let browser: Browser;
  let scratch: string;
  let publicRepo: StandInRepo;

  beforeAll(async () => {
    h = await startHarness({ env: { KICKOFF_ADMIN_TOKEN: ADMIN_TOKEN } });
    browser = await launchChromium();
    scratch = mkdtempSync(path.join(os.tmpdir(), "kickoff-browser-"));
    publicRepo = await h.gh.createRepo("acme/live");
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const runningBuild = async (repo: StandInRepo, sha: string) =>
    eventually(
      async () => {
        const b = await h.kickoff.store.db.selectFrom("builds").selectAll().where("sha", "=", sha).where("repository", "=", repo.fullName).executeTakeFirst();
        if (b?.status !== "running") return undefined;
        const chunk = await h.kickoff.store.db.selectFrom("log_chunks").select("seq").where("build_id", "=", b.id).executeTakeFirst();
        return chunk ? b : undefined;
      },
      "build running with output",
      60_000,
    );

  it("follows a running build live, with colours, to its finished state, and never runs log text as HTML", async () => {
    const gate = path.join(scratch, "gate-1");
    const sha = await pushCommit(h, publicRepo, "main", { [CONFIG_PATH]: gatedPipeline(gate) }, "Live log <b>test</b>");
    const build = await runningBuild(publicRepo, sha);

    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    await page.goto(`${h.kickoff.url}/builds/${build.id}`);
    await page.locator("#log").getByText("green before the gate").waitFor(WAIT);
    expect(await page.locator(".state").getAttribute("data-state")).toBe("running");
    expect(await page.locator("#live").isVisible()).toBe(true);

    // Colours come through as classes the stylesheet paints.
    const green = page.locator("#log span.ansi-green-fg", { hasText: "green before the gate" });
    expect(await green.evaluate((el) => (globalThis as unknown as Styled).getComputedStyle(el).color)).toBe("rgb(63, 185, 80)");
    const bold = page.locator("#log span.ansi-red-fg.ansi-bold");
    expect(await bold.evaluate((el) => (globalThis as unknown as Styled).getComputedStyle(el).fontWeight)).toBe("700");

    // A <script> printed by the build is text on the page, never an element or code.
    await expect.poll(() => page.locator("#log").textContent(), WAIT).toContain("<script>window.__injected = 1</script> stays text");
    expect(await page.locator("#log script").count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __injected?: number }).__injected)).toBeUndefined();

    // New output shows up without reloading the page.
    const navigations: string[] = [];
    page.on("framenavigated", (f) => navigations.push(f.url()));
    writeFileSync(gate, "");
    await page.locator("#log span.ansi-cyan-fg", { hasText: "after the gate" }).waitFor(WAIT);
    await page.locator('.state[data-state="success"]').waitFor(WAIT);
    expect(navigations).toEqual([]);
    await page.locator("#live").waitFor({ state: "hidden", ...WAIT });
    expect(await page.locator("#title").textContent()).toMatch(/^Passed in /);
    expect(errors, errors.join("\n")).toEqual([]);

    // Reloaded when finished: annotations and links to GitHub are on the page.
    await page.reload();
    await page.locator("table.list td", { hasText: "Something to look at" }).waitFor(WAIT);
    expect(await page.locator(`a[href="${publicRepo.htmlUrl}/commit/${sha}"]`).count()).toBe(1);
    // The commit message is text too.
    expect(await page.locator(".message").textContent()).toBe("Live log <b>test</b>");
    expect(await page.locator(".facts b").count()).toBe(0);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, "build-page.png"), fullPage: true });
    await page.close();
  });

  it("refuses a private build without its token and shows it with the signed link", async () => {
    const repo = await h.gh.createRepo("acme/private-live", { private: true });
    const sha = await pushCommit(h, repo, "main", { [CONFIG_PATH]: kickoffYml({ "secret-pipeline": "run: echo private output" }) });
    const run = await completedRun(h.gh, repo, "secret-pipeline", sha);
    const details = new URL(run.details_url!);
    const page = await browser.context.newPage();
    const refused = await page.goto(`${h.kickoff.url}${details.pathname}`);
    expect(refused?.status()).toBe(404);
    expect(await page.content()).not.toContain("secret-pipeline");
    const wrong = await page.goto(`${h.kickoff.url}${details.pathname}?token=${"A".repeat(32)}`);
    expect(wrong?.status()).toBe(404);
    const shown = await page.goto(`${h.kickoff.url}${details.pathname}${details.search}`);
    expect(shown?.status()).toBe(200);
    await page.locator("h1", { hasText: "secret-pipeline" }).waitFor(WAIT);
    await page.locator("#log").getByText("private output").waitFor(WAIT);
    // Not in the list for anyone but the admin.
    await page.goto(`${h.kickoff.url}/`);
    expect(await page.content()).not.toContain("acme/private-live");
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, "dashboard.png") });
    await page.close();
  });

  it("loads earlier output of a long log on request", async () => {
    const sha = await pushCommit(h, publicRepo, "main", { [CONFIG_PATH]: kickoffYml({ long: "run: seq 1 120000" }) });
    const run = await completedRun(h.gh, publicRepo, "long", sha);
    const page = await browser.context.newPage();
    await page.goto(`${h.kickoff.url}/builds/${run.external_id}`);
    await page.locator("#log").getByText("120000").waitFor(WAIT);
    // The first line is Kickoff's own ("[kickoff] Attempt 1 on worker …").
    const startShown = () => page.locator("#log").evaluate((el) => (el.textContent ?? "").startsWith("[kickoff] Attempt 1 on worker"));
    expect(await startShown()).toBe(false);
    for (let i = 0; i < 10 && (await page.locator("#load-earlier").isVisible()); i++) {
      const before = await page.locator("#log").evaluate((el) => el.textContent?.length ?? 0);
      await page.locator("#load-earlier").click();
      await expect.poll(() => page.locator("#log").evaluate((el) => el.textContent?.length ?? 0), WAIT).toBeGreaterThan(before);
    }
    expect(await startShown()).toBe(true);
    const text = (await page.locator("#log").textContent()) ?? "";
    // Every line once, in order, across the joined parts.
    expect(
      text
        .split("\n")
        .filter((l) => /^\d+$/.test(l))
        .map(Number),
    ).toEqual(Array.from({ length: 120000 }, (_, i) => i + 1));
    await page.close();
  });

  it("lets the admin log in and cancel a running build from its page", async () => {
    const gate = path.join(scratch, "gate-never");
    const sha = await pushCommit(h, publicRepo, "main", { [CONFIG_PATH]: gatedPipeline(gate) });
    const build = await runningBuild(publicRepo, sha);
    const page = await browser.context.newPage();
    await page.goto(`${h.kickoff.url}/login`);
    await page.locator('input[name="token"]').fill(ADMIN_TOKEN);
    await page.locator('form.login button[type="submit"]').click();
    await page.waitForURL(`${h.kickoff.url}/`, WAIT);
    await page.goto(`${h.kickoff.url}/builds/${build.id}`);
    await page.locator("#cancel-form button").click();
    await page.locator('.state[data-state="cancelled"]').waitFor(WAIT);
    expect(await page.locator("#rerun-form").isVisible()).toBe(true);
    await page.close();
  });
});
