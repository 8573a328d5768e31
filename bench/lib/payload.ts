import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };

/** The largest push example GitHub documents (~7.7 KB), as the ingress benchmarks send it. */
export function pushBody(): string {
  const push = (examples as Array<{ name: string; examples: unknown[] }>).find((e) => e.name === "push")!;
  return push.examples.map((e) => JSON.stringify(e)).sort((a, b) => b.length - a.length)[0]!;
}
