import type { NewBuild } from "../../src/store/schema.js";

let counter = 0;

/** A queued build row with plausible values; override what a test cares about. */
export function newBuild(overrides: Partial<NewBuild> = {}): NewBuild {
  counter += 1;
  return {
    repository: "acme/shop",
    repository_id: 1,
    installation_id: 1,
    private: 0,
    clone_url: "http://127.0.0.1:1/acme/shop.git",
    html_url: "https://github.com/acme/shop",
    pipeline: `p${counter}`,
    sha: "a".repeat(40),
    ref: "refs/heads/main",
    branch: "main",
    event: "push",
    pr_number: null,
    trigger_delivery: null,
    sender: null,
    dedupe_key: null,
    config: JSON.stringify({ run: "true", env: {}, timeoutMs: 60_000, needs: [], environment: null, url: null }),
    status: "queued",
    queued_at: 0,
    ...overrides,
  };
}
