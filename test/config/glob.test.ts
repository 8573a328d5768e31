import { describe, expect, it } from "vitest";
import { compileFilter, compileGlob, validatePattern } from "../../src/config/glob.js";

function matches(pattern: string, name: string): boolean {
  return compileFilter([pattern])(name);
}

describe("glob patterns (GitHub Actions semantics)", () => {
  it.each([
    // `*` stays within one path segment
    ["*", "main", true],
    ["*", "feature/x", false],
    ["feature/*", "feature/login", true],
    ["feature/*", "feature/a/b", false],
    ["*feature", "mona-feature", true],
    // `**` crosses segments
    ["**", "feature/a/b", true],
    ["release/**", "release/1.0", true],
    ["release/**", "release/1.0/hotfix", true],
    ["release/**", "release", false],
    ["release/**", "releases/1.0", false],
    ["**.js", "src/js/app.js", true],
    ["**.js", "index.js", true],
    ["*.js", "src/app.js", false],
    ["docs/**/*.md", "docs/a/b/c.md", true],
    ["docs/**/*.md", "docs/c.md", true],
    ["**/README.md", "README.md", true],
    ["**/README.md", "server/api/README.md", true],
    ["**/docs/**", "docs/hello.md", true],
    ["**/docs/**", "dir/docs/my-file.txt", true],
    // tags
    ["v*", "v1.2.3", true],
    ["v*", "version", true],
    ["v*", "1.0", false],
    ["v[12].[0-9]+.[0-9]+", "v1.10.0", true],
    ["v[12].[0-9]+.[0-9]+", "v3.1.0", false],
    // `?` and `+` quantify the previous character
    ["colou?r", "color", true],
    ["colou?r", "colour", true],
    ["colou?r", "colouur", false],
    ["ab+c", "abbbc", true],
    ["ab+c", "ac", false],
    // classes
    ["[CB]at", "Cat", true],
    ["[CB]at", "Rat", false],
    ["[1-2]00", "200", true],
    // literal characters that are special in regexes
    ["main", "main", true],
    ["main", "mainline", false],
    ["a.b", "axb", false],
    ["fix(ui)", "fix(ui)", true],
    ["v\\+1", "v+1", true],
    ["\\*", "*", true],
    ["\\*", "x", false],
    ["feat!x", "feat!x", true], // `!` only negates at the start
  ])("%j matches %j: %s", (pattern, name, expected) => {
    expect(matches(pattern, name)).toBe(expected);
  });

  it("lets later patterns win, so `!` excludes from earlier ones", () => {
    const filter = compileFilter(["release/**", "!release/**-alpha", "release/keep-alpha"]);
    expect(filter("release/1.0")).toBe(true);
    expect(filter("release/1.0-alpha")).toBe(false);
    expect(filter("release/keep-alpha")).toBe(true);
    expect(filter("main")).toBe(false);
  });

  it("matches nothing with only negated patterns", () => {
    const filter = compileFilter(["!main"]);
    expect(filter("main")).toBe(false);
    expect(filter("dev")).toBe(false);
  });

  it("matches nothing with an empty list", () => {
    expect(compileFilter([])("main")).toBe(false);
  });

  it.each([
    ["", "empty pattern"],
    ["!", "negates nothing"],
    ["[abc", "unclosed `[`"],
    ["[]", "invalid `[]`"],
    ["[z-a]", "invalid `[z-a]`"],
    ["[a-Z]", "invalid `[a-Z]`"],
    ["?x", "needs a character before it"],
    ["+x", "needs a character before it"],
    ["abc\\", "lone"],
  ])("rejects %j", (pattern, reason) => {
    expect(validatePattern(pattern)).toContain(reason);
  });

  it("accepts ordinary patterns", () => {
    for (const pattern of ["main", "!main", "release/**", "v*", "**/*.ts", "[0-9a-z]", "a*?", "**+"]) {
      expect(validatePattern(pattern)).toBeNull();
    }
  });

  it("throws from compileFilter on an invalid pattern (configs are validated first)", () => {
    expect(() => compileFilter(["[abc"])).toThrow(/unclosed/);
    expect(compileGlob("[abc").ok).toBe(false);
  });

  it("handles non-ASCII names", () => {
    expect(matches("feature/*", "feature/über-✓")).toBe(true);
    expect(matches("🚀*", "🚀launch")).toBe(true);
  });
});
