// 10,000 hostile requests against the real in-process server: whatever arrives, Kickoff
// answers each with the right status, stays up, stores only what it should (validly
// signed deliveries it may ignore), runs nothing, and its memory stays bounded.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../../src/config/kickoff-config.js";
import type { StandInRepo } from "../support/github-stand-in.js";
import { type Harness, startHarness, WEBHOOK_SECRET } from "../support/kickoff-harness.js";
import { kickoffYml, ZERO } from "../support/e2e.js";
import { pushPayload, signBody, streamOversizedWebhook } from "../support/webhooks.js";

const TOTAL = 10_000;
const CONCURRENCY = 20;
const MIB = 1024 * 1024;

/** mulberry32: a seeded generator, so a failing request can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Hostile {
  kind: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Statuses that are right for it. */
  expect: number[];
  /** Answered 2xx the first time: a delivery stored as ignored. */
  stores: boolean;
}

describe("10,000 hostile webhook requests", () => {
  let h: Harness;
  let repo: StandInRepo;
  const marker = path.join(mkdtempSync(path.join(os.tmpdir(), "kickoff-hostile-")), "ran");

  beforeAll(async () => {
    h = await startHarness({ http: { headersTimeoutMs: 2000, requestTimeoutMs: 4000 } });
    repo = await h.gh.createRepo("acme/hostile");
    // Anything that did start a build would leave this file behind.
    await repo.commit({ branch: "main", files: { [CONFIG_PATH]: kickoffYml({ any: `run: touch ${marker}` }) } });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(path.dirname(marker), { recursive: true, force: true });
  });

  it("answers each with the right status, stores only ignorable signed deliveries, runs nothing, and stays bounded", async () => {
    const random = prng(8);
    const int = (n: number) => Math.floor(random() * n);
    const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
    const validPush = Buffer.from(JSON.stringify(pushPayload(repo, { ref: "refs/heads/main", before: ZERO, after: "d".repeat(40) })));
    let serial = 0;
    const ignorableIds: string[] = [];

    const make = (): Hostile => {
      const id = `hostile-${++serial}`;
      const base = (body: Buffer, extra: Record<string, string> = {}): Record<string, string> => ({
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": id,
        "x-hub-signature-256": signBody(WEBHOOK_SECRET, body),
        ...extra,
      });
      const roll = int(100);
      if (roll < 14) {
        // Random bytes, signed with a guess.
        const body = randomBytes(1 + int(4096));
        return {
          kind: "random body",
          method: "POST",
          headers: base(body, { "x-hub-signature-256": `sha256=${randomBytes(32).toString("hex")}` }),
          body,
          expect: [401],
          stores: false,
        };
      }
      if (roll < 26) {
        // Truncated JSON, validly signed (someone holding the secret, or a broken proxy).
        const body = validPush.subarray(0, 1 + int(validPush.length - 2));
        return { kind: "truncated JSON", method: "POST", headers: base(body), body, expect: [400], stores: false };
      }
      if (roll < 32) {
        const body = Buffer.from(pick(["[]", "null", "42", '"push"', "true", "[{}]", ""]));
        return { kind: "JSON not an object", method: "POST", headers: base(body), body, expect: [400], stores: false };
      }
      if (roll < 38) {
        // Node refuses more than 16 KiB of headers before Kickoff sees the request.
        const body = validPush;
        return { kind: "huge headers", method: "POST", headers: base(body, { "x-padding": "x".repeat(17_000 + int(40_000)) }), body, expect: [431], stores: false };
      }
      if (roll < 48) {
        const body = validPush;
        const type = pick(["text/plain", "application/x-www-form-urlencoded", "application/jsonx", "multipart/form-data; boundary=x", "", "application/xml"]);
        return { kind: "wrong content type", method: "POST", headers: base(body, { "content-type": type }), body, expect: [415], stores: false };
      }
      if (roll < 62) {
        const body = validPush;
        const signature = pick([
          signBody("not the secret", body),
          `sha256=${"0".repeat(64)}`,
          signBody(WEBHOOK_SECRET, body).toUpperCase(),
          "sha1=0123456789abcdef0123456789abcdef01234567",
          "sha256=",
          "garbage",
          signBody(WEBHOOK_SECRET, Buffer.concat([body, Buffer.from(" ")])),
        ]);
        return { kind: "wrong signature", method: "POST", headers: base(body, { "x-hub-signature-256": signature }), body, expect: [401], stores: false };
      }
      if (roll < 70) {
        const body = validPush;
        const headers = base(body);
        const missing = pick(["x-hub-signature-256", "x-github-event", "x-github-delivery"]);
        delete headers[missing];
        // Or present, but not what GitHub sends.
        if (missing === "x-github-event" && int(2) === 0) headers[missing] = pick(["PUSH", "a b", "x".repeat(100), "../push", ""]);
        if (missing === "x-github-delivery" && int(2) === 0) headers[missing] = pick(["../../etc", "a b", "x".repeat(101), "id;rm", ""]);
        return { kind: `missing or malformed ${missing}`, method: "POST", headers, body, expect: [400], stores: false };
      }
      if (roll < 84) {
        // Validly signed, but lacking what the event needs, or an event Kickoff ignores:
        // acknowledged and recorded as ignored, never planned into a build.
        const payload = pick<Record<string, unknown>>([
          {},
          { ref: "refs/heads/main" },
          { repository: { full_name: repo.fullName } },
          { installation: { id: "1; DROP TABLE deliveries" }, repository: null },
          { action: "opened", pull_request: { number: "x" } },
          { zen: "Keep it logically awesome." },
        ]);
        const event = pick(["push", "pull_request", "star", "ping", "check_run", "issue_comment", "unknown_event"]);
        const body = Buffer.from(JSON.stringify(payload));
        return { kind: "signed, missing fields", method: "POST", headers: base(body, { "x-github-event": event }), body, expect: [202], stores: true };
      }
      if (roll < 88) {
        // A repeat of an earlier ignorable delivery id: acknowledged, stored once.
        const earlier = ignorableIds.length > 0 ? pick(ignorableIds) : null;
        if (earlier !== null) {
          const body = Buffer.from("{}");
          return {
            kind: "duplicate delivery",
            method: "POST",
            headers: base(body, { "x-github-event": "star", "x-github-delivery": earlier }),
            body,
            expect: [200, 202],
            stores: false,
          };
        }
      }
      if (roll < 89) {
        const body = Buffer.alloc(0);
        return { kind: "wrong method", method: pick(["GET", "PUT", "DELETE", "PATCH"]), headers: base(body), body, expect: [404, 405, 429], stores: false };
      }
      // Declared oversized: answered from the header, before any of it is read.
      const body = Buffer.from("{}");
      return { kind: "declared oversized", method: "POST", headers: base(body, { "content-length": String(25 * MIB + 1 + int(MIB)) }), body, expect: [413], stores: false };
    };

    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const url = new URL(h.webhookUrl);
    const send = (r: Hostile): Promise<number | string> => {
      if (r.kind === "declared oversized") return declaredOversized(url, r);
      return new Promise((resolve) => {
        const headers = { ...r.headers, "content-length": String(r.body.length) };
        const req = http.request(url, { method: r.method, headers, agent, timeout: 30_000 }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
          res.on("error", () => resolve(res.statusCode ?? 0));
        });
        req.on("timeout", () => req.destroy(new Error("no answer")));
        req.on("error", (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
        req.end(r.body);
      });
    };

    // A few senders too slow to ever finish, alongside everything else.
    const slow = [
      ...Array.from({ length: 3 }, () => trickle(url, "POST /api/github/webhooks HTTP/1.1\r\nHost: k\r\n", "X-A: b\r\n")),
      ...Array.from({ length: 3 }, (_, i) =>
        trickle(
          url,
          `POST /api/github/webhooks HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: slow-${i}\r\nX-Hub-Signature-256: sha256=${"0".repeat(64)}\r\n\r\n{`,
          " ",
        ),
      ),
    ];
    // A few real oversized bodies, streamed: cut off at 25 MiB.
    const oversized = Array.from({ length: 2 }, () => streamOversizedWebhook(url));

    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
    const wrong: string[] = [];
    const counts = new Map<string, number>();
    let stored = 0;
    let next = 0;
    const worker = async () => {
      while (next < TOTAL) {
        next++;
        const r = make();
        const status = await send(r);
        counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
        if (typeof status !== "number" || !r.expect.includes(status)) {
          if (wrong.length < 20) wrong.push(`${r.kind} (${r.method} ${r.headers["x-github-delivery"] ?? "-"}): expected ${r.expect.join("/")}, got ${status}`);
        } else if (r.stores) {
          stored++;
          // Only answered ids are repeated, so the first copy is always this one.
          ignorableIds.push(r.headers["x-github-delivery"] ?? "");
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const slowResults = await Promise.all(slow);
    const oversizedResults = await Promise.all(oversized);
    clearInterval(sampler);
    agent.destroy();

    expect(wrong).toEqual([]);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(TOTAL);
    expect(slowResults.every((s) => s.cutOff)).toBe(true);
    for (const status of oversizedResults) expect([413, "error EPIPE", "error ECONNRESET"]).toContain(status);

    // Still up and ready.
    expect((await fetch(`${h.kickoff.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.kickoff.url}/readyz`)).status).toBe(200);

    // Stored: exactly the validly signed, acknowledged deliveries, each as ignored, with
    // no payload kept.
    const rows = await h.kickoff.store.db.selectFrom("deliveries").select(["id", "status", "outcome", "payload"]).execute();
    expect(rows.length).toBe(stored);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ignorableIds));
    for (const row of rows) {
      expect(row.status).toBe("done");
      expect(row.outcome).toMatch(/^ignored/);
      expect(row.payload).toBe("{}");
    }
    // Ran nothing.
    expect(await h.kickoff.store.db.selectFrom("builds").select("id").execute()).toEqual([]);
    expect(h.gh.checkRuns(repo.fullName)).toEqual([]);
    expect(existsSync(marker)).toBe(false);

    const growthMb = (rssPeak - rssBefore) / MIB;
    console.log(`hostile requests: ${TOTAL} answered (${[...counts].map(([k, n]) => `${k} ${n}`).join(", ")}); ${stored} ignorable stored; RSS growth ${growthMb.toFixed(1)} MB`);
    // Generous: the client's own buffers share this process, and the two oversized
    // bodies are 25 MiB each on the client side.
    expect(growthMb).toBeLessThan(300);
  }, 180_000);
});

/** Headers that declare a huge body, then nothing: the answer must come from the header. */
function declaredOversized(url: URL, r: Hostile): Promise<number | string> {
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    const head = [`POST ${url.pathname} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`), "", "{}"].join("\r\n");
    let response = "";
    socket.on("connect", () => socket.write(head));
    socket.on("data", (d: Buffer) => {
      response += d.toString("latin1");
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(response);
      if (status) {
        socket.destroy();
        resolve(Number(status[1]));
      }
    });
    socket.on("error", (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
    socket.on("close", () => resolve(`closed without an answer: ${response.slice(0, 80)}`));
  });
}

/** Trickles bytes every 100 ms for up to 60 s; `cutOff` when the server closed first. */
function trickle(url: URL, head: string, drip: string): Promise<{ cutOff: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let drips = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on("connect", () => {
      socket.write(head);
      timer = setInterval(() => {
        if (++drips > 600) {
          clearInterval(timer);
          socket.destroy();
          resolve({ cutOff: false });
        } else if (socket.writable) socket.write(drip);
      }, 100);
    });
    socket.on("data", () => undefined);
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ cutOff: drips <= 600 });
    });
  });
}
