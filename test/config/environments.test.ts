import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadEnvironments, mayDeploy } from "../../src/config/environments.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "kickoff-environments-"));
function file(text: string): string {
  const f = path.join(dir, `${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(f, text);
  return f;
}

describe("the environments file", () => {
  it("reads environments, literal secrets and ${VAR} secrets from the server's environment", () => {
    const envs = loadEnvironments(
      file("production:\n  branches: [main, 'release/**']\n  tags: ['v*']\n  repositories: [acme/shop]\n  secrets:\n    TOKEN: literal\n    FROM_ENV: pre-${X}-post\n"),
      { X: "x-value" },
    );
    expect(envs.get("production")).toEqual({
      name: "production",
      branches: ["main", "release/**"],
      tags: ["v*"],
      repositories: ["acme/shop"],
      secrets: { TOKEN: "literal", FROM_ENV: "pre-x-value-post" },
    });
  });

  it.each([
    ["a missing file", null, /cannot read \(ENOENT\)/],
    ["broken YAML", "production: [\n", /line \d+/],
    ["an unknown key", "production:\n  branch: [main]\n", /production: Unrecognized key/i],
    ["an unset ${VAR}", "production:\n  secrets: { A: '${NOPE}' }\n", /secret A refers to \$\{NOPE\}, which is not set/],
    ["a reserved secret name", "production:\n  secrets: { KICKOFF_X: a }\n", /secret name "KICKOFF_X" is not allowed/],
    ["a bad glob", "production:\n  branches: ['[']\n", /pattern "\["/],
  ])("fails with one line naming the setting for %s", (_name, text, message) => {
    const f = text === null ? path.join(dir, "missing.yml") : file(text);
    expect(() => loadEnvironments(f, {})).toThrow(/^KICKOFF_ENVIRONMENTS_FILE: /);
    expect(() => loadEnvironments(f, {})).toThrow(message);
    try {
      loadEnvironments(f, {});
    } catch (error) {
      expect((error as Error).message).not.toContain("\n");
    }
  });

  it("allows deploys only from listed branches and tags of listed repositories", () => {
    const envs = loadEnvironments(file("production:\n  branches: [main]\n  tags: ['v*']\n  repositories: [acme/shop]\nstaging:\n  branches: ['**']\n"), {});
    expect(mayDeploy(envs, "production", "acme/shop", "refs/heads/main", "main").allowed).toBe(true);
    expect(mayDeploy(envs, "production", "ACME/Shop", "refs/tags/v1.2", null).allowed).toBe(true);
    expect(mayDeploy(envs, "production", "acme/shop", "refs/heads/dev", "dev")).toEqual({ allowed: false, reason: "Deploy to production is not allowed from refs/heads/dev" });
    expect(mayDeploy(envs, "production", "acme/other", "refs/heads/main", "main")).toEqual({ allowed: false, reason: "Deploy to production is not allowed from acme/other" });
    expect(mayDeploy(envs, "qa", "acme/shop", "refs/heads/main", "main")).toEqual({ allowed: false, reason: "Environment qa is not configured on this Kickoff server" });
    expect(mayDeploy(envs, "staging", "any/repo", "refs/heads/x", "x").allowed).toBe(true);
    expect(mayDeploy(envs, "staging", "any/repo", "refs/tags/v1", null).allowed).toBe(false);
  });
});
