import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertBuild } from "../../src/store/queue.js";
import { newBuild } from "../support/builds.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";
import { http } from "../support/web-client.js";

/** Build ids in the order a page lists them. */
function listed(html: string): number[] {
  return [...html.matchAll(/<tr data-build="(\d+)">/g)].map((m) => Number(m[1]));
}

function link(html: string, rel: "next" | "prev"): string | null {
  const m = new RegExp(`rel="${rel}" href="([^"]+)"`).exec(html);
  return m?.[1]?.replaceAll("&#38;", "&") ?? null;
}

describe("the build list", () => {
  let h: Harness;
  const ids: number[] = [];

  beforeAll(async () => {
    h = await startHarness({ worker: false });
    const db = h.kickoff.store.db;
    const now = Date.now();
    for (let i = 0; i < 120; i++) {
      const done = i % 3 !== 0;
      const b = await insertBuild(
        db,
        newBuild({
          repository: i % 2 === 0 ? "acme/even" : "acme/odd",
          pipeline: `p${i}`,
          status: done ? "done" : "queued",
          conclusion: done ? (i % 3 === 1 ? "success" : "failure") : null,
          queued_at: now - (120 - i) * 60_000,
          started_at: done ? now - (120 - i) * 60_000 + 1000 : null,
          finished_at: done ? now - (120 - i) * 60_000 + 13_000 : null,
        }),
      );
      ids.push(b!.id);
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  it("lists newest first, 50 a page, and pages by keyset without gaps or repeats", async () => {
    const seen: number[] = [];
    let path: string | null = "/";
    let pages = 0;
    while (path !== null) {
      const page = await http(h, path);
      expect(page.status).toBe(200);
      const rows = listed(page.text);
      expect(rows.length).toBeLessThanOrEqual(50);
      seen.push(...rows);
      path = link(page.text, "next");
      pages += 1;
      // A build queued meanwhile does not shift the older pages.
      if (pages === 1) await insertBuild(h.kickoff.store.db, newBuild({ repository: "acme/even", queued_at: Date.now() }));
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it("goes back to newer pages", async () => {
    const first = await http(h, "/");
    const second = await http(h, link(first.text, "next")!);
    const back = await http(h, link(second.text, "prev")!);
    expect(listed(back.text)).toEqual(listed(first.text));
  });

  it("filters by repository and by status, and keeps the filter while paging", async () => {
    const odd = await http(h, "/?repository=acme%2Fodd");
    const oddRows = listed(odd.text);
    expect(oddRows).toHaveLength(50);
    expect(oddRows.every((id) => (id - ids[0]!) % 2 === 1)).toBe(true);
    const next = link(odd.text, "next")!;
    expect(next).toContain("repository=acme%2Fodd");
    expect(listed((await http(h, next)).text)).toHaveLength(10);

    const failed = await http(h, "/?status=failure&repository=acme%2Feven");
    const failedRows = listed(failed.text);
    expect(failedRows.length).toBeGreaterThan(0);
    for (const id of failedRows) {
      const i = ids.indexOf(id);
      expect(i % 2).toBe(0);
      expect(i % 3).toBe(2);
    }
    const queued = listed((await http(h, "/?status=queued")).text);
    expect(queued.every((id) => ids.indexOf(id) % 3 === 0 || !ids.includes(id))).toBe(true);
    // An unknown status is ignored rather than an error.
    expect((await http(h, "/?status=%3Cscript%3E")).status).toBe(200);
  });

  it("shows repository, pipeline, branch, commit, trigger, status, duration and age", async () => {
    const page = await http(h, "/?repository=acme%2Fodd&status=success");
    const row = /<tr data-build="\d+">.*?<\/tr>/.exec(page.text)?.[0] ?? "";
    expect(row).toContain("acme/odd");
    expect(row).toMatch(/>p\d+ <span class="muted">#\d+<\/span>/);
    expect(row).toContain("main");
    expect(row).toContain("<code>aaaaaaa</code>");
    expect(row).toContain("push");
    expect(row).toContain("state-success");
    expect(row).toContain("<td>12s</td>");
    expect(row).toMatch(/m ago|h ago/);
  });
});

describe("pages are safe with hostile names", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("escapes branch names, pipeline names, titles and summaries", async () => {
    const evil = `<img src=x onerror="alert(1)">`;
    const b = (await insertBuild(
      h.kickoff.store.db,
      newBuild({
        branch: `feature/${evil}`,
        pipeline: `p-${evil}`,
        sender: evil,
        status: "done",
        conclusion: "failure",
        title: evil,
        summary: `## ${evil}`,
        queued_at: Date.now(),
        annotations: JSON.stringify([{ level: "failure", message: evil, path: evil, startLine: 1, title: evil }]),
      }),
    ))!;
    for (const path of ["/", `/builds/${b.id}`]) {
      const page = await http(h, path);
      expect(page.text).not.toContain("<img");
      expect(page.text).toContain("&#60;img src=x onerror=&#34;alert(1)&#34;&#62;");
    }
  });

  it("sends security headers on every page: a CSP with no inline script or style", async () => {
    const b = (await insertBuild(h.kickoff.store.db, newBuild({ queued_at: Date.now() })))!;
    for (const path of ["/", `/builds/${b.id}`, "/builds/424242", "/login", "/nowhere", "/metrics", "/healthz"]) {
      const page = await http(h, path);
      const csp = page.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(page.headers.get("x-content-type-options")).toBe("nosniff");
      expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    }
    const page = await http(h, `/builds/${b.id}`);
    expect(page.text).not.toMatch(/<script(?![^>]*\ssrc=)/);
    expect(page.text).not.toMatch(/\sstyle=|\son\w+=/);
    expect(page.headers.get("cache-control")).toBe("no-store");
    const script = /<script type="module" src="([^"]+)"/.exec(page.text)?.[1];
    const asset = await http(h, script!.replaceAll("&#38;", "&"));
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect((await http(h, "/assets/..%2Fpackage.json")).status).toBe(404);
  });

  it("answers /healthz and /readyz", async () => {
    expect((await http(h, "/healthz")).status).toBe(200);
    const ready = await http(h, "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.text).toBe("ready\n");
  });
});
