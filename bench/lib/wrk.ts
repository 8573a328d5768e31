import { execFileSync } from "node:child_process";

export interface WrkResult {
  requests: number;
  requestsPerSecond: number;
  p50ms: number;
  p99ms: number;
  non2xx: number;
  socketErrors: string | null;
}

function ms(value: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "s" ? n * 1000 : n;
}

/** Runs wrk pinned to `core` and parses its summary. */
export function wrk(o: { url: string; seconds: number; connections: number; script: string; env: Record<string, string>; core: number }): WrkResult {
  const out = execFileSync("taskset", ["-c", String(o.core), "wrk", "-t1", `-c${o.connections}`, `-d${o.seconds}s`, "--latency", "-s", o.script, o.url], {
    env: { ...process.env, ...o.env },
    encoding: "utf8",
  });
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? Number.NaN);
  return {
    requests,
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN),
    p50ms: ms(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ""),
    p99ms: ms(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ""),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: /Socket errors: (.*)/.exec(out)?.[1] ?? null,
  };
}
