// Slow senders hold a connection and a little memory each; the server's header and
// request timeouts must really cut them off. Raw sockets trickle bytes and never finish;
// the test bounds only how long it waits, never how fast the server is.
import net from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpServer } from "../../src/web/http-server.js";
import { type Harness, startHarness } from "../support/kickoff-harness.js";

interface Trickle {
  response: string;
  /** Whether the server closed the connection before the sender gave up. */
  cutOff: boolean;
  sentBytes: number;
}

/** Sends `head` at once, then `drip` every 100 ms, until the server closes or `maxDrips`. */
function trickle(url: string, head: string, drip: string, maxDrips: number): Promise<Trickle> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let response = "";
    let sentBytes = 0;
    let drips = 0;
    let timer: NodeJS.Timeout | undefined;
    const send = (text: string) => {
      sentBytes += Buffer.byteLength(text);
      socket.write(text);
    };
    socket.on("connect", () => {
      send(head);
      timer = setInterval(() => {
        if (++drips > maxDrips) {
          clearInterval(timer);
          socket.destroy();
          resolve({ response, cutOff: false, sentBytes });
          return;
        }
        if (!socket.destroyed && socket.writable) send(drip);
      }, 100);
    });
    socket.on("data", (d: Buffer) => (response += d.toString("utf8")));
    // The server may reset while a drip is in flight; a close is what counts.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      if (drips <= maxDrips) resolve({ response, cutOff: true, sentBytes });
    });
    socket.on("timeout", () => reject(new Error("socket timeout")));
  });
}

describe("header and body timeouts on the real server", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ worker: false, http: { headersTimeoutMs: 1000, requestTimeoutMs: 2000 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  const stored = async () => (await h.kickoff.store.db.selectFrom("deliveries").select("id").execute()).length;

  it("cuts off a sender whose headers never finish", async () => {
    // 600 drips = 60 s: far beyond the 1 s header timeout, so only a server that never
    // enforces it lets the sender run out.
    const result = await trickle(h.webhookUrl, "POST /api/github/webhooks HTTP/1.1\r\nHost: kickoff\r\n", "X-Slow: a\r\n", 600);
    expect(result.cutOff).toBe(true);
    expect(result.response).toMatch(/^HTTP\/1\.1 408 /);
    expect(await stored()).toBe(0);
  });

  it("cuts off a sender whose body never finishes, and stores nothing", async () => {
    const head = [
      "POST /api/github/webhooks HTTP/1.1",
      "Host: kickoff",
      "Content-Type: application/json",
      "Content-Length: 100000",
      "X-GitHub-Event: push",
      "X-GitHub-Delivery: slow-body",
      `X-Hub-Signature-256: sha256=${"0".repeat(64)}`,
      "",
      "{",
    ].join("\r\n");
    const result = await trickle(h.webhookUrl, head, " ", 600);
    expect(result.cutOff).toBe(true);
    expect(result.sentBytes).toBeLessThan(100_000);
    expect(await stored()).toBe(0);
  });

  it("cuts off slow senders on other paths too, and keeps serving", async () => {
    const head = "POST /login HTTP/1.1\r\nHost: kickoff\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\ntoken=";
    const [a, b] = await Promise.all([trickle(h.webhookUrl, head, "a", 600), trickle(h.webhookUrl, "GET /healthz HTTP/1.1\r\n", "X: y\r\n", 600)]);
    expect([a.cutOff, b.cutOff]).toEqual([true, true]);
    expect((await fetch(`${h.kickoff.url}/healthz`)).status).toBe(200);
  });
});

describe("the production timeouts", () => {
  it("are 10 s for headers and 60 s for the whole request", () => {
    const server = createHttpServer([], pino({ level: "silent" }));
    expect([server.headersTimeout, server.requestTimeout]).toEqual([10_000, 60_000]);
  });
});
