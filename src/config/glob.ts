// Branch, tag and path filters with GitHub Actions' pattern semantics, which differ from
// shell globs (and from picomatch): `?` and `+` quantify the preceding character, `**/`
// may match no directory at all, and `!` negates only at the start of a pattern.
// https://docs.github.com/actions/writing-workflows/workflow-syntax-for-github-actions#filter-pattern-cheat-sheet

export type GlobResult = { ok: true; regex: RegExp } | { ok: false; message: string };

// Unicode-mode regexes reject needless escapes, so the two contexts escape different sets.
const SPECIAL_OUTSIDE_CLASS = /[\\^$.*+?()[\]{}|/]/;
const SPECIAL_INSIDE_CLASS = /[\\^\]\[-]/;

function escapeChar(ch: string): string {
  return SPECIAL_OUTSIDE_CLASS.test(ch) ? `\\${ch}` : ch;
}

function escapeClassChar(ch: string): string {
  return SPECIAL_INSIDE_CLASS.test(ch) ? `\\${ch}` : ch;
}

/** Compiles one pattern without its leading `!`. */
export function compileGlob(pattern: string): GlobResult {
  if (pattern === "") return { ok: false, message: "empty pattern" };
  let out = "";
  // Whether the last emitted atom can take `?` or `+` (a character or a class, not a wildcard).
  let quantifiable = false;
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i] as string;
    if (ch === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) return { ok: false, message: `pattern \`${pattern}\` ends with a lone \`\\\`` };
      out += escapeChar(next);
      quantifiable = true;
      i += 2;
    } else if (ch === "*") {
      if (pattern[i + 1] === "*") {
        const atSegmentStart = i === 0 || pattern[i - 1] === "/";
        if (atSegmentStart && pattern[i + 2] === "/") {
          // `**/x` also matches `x` at the top: README.md as well as docs/README.md.
          out += "(?:.*/)?";
          i += 3;
        } else {
          out += ".*";
          i += 2;
        }
      } else {
        out += "[^/]*";
        i += 1;
      }
      quantifiable = false;
    } else if (ch === "?" || ch === "+") {
      // After a wildcard the quantifier changes nothing (`*?` is still "any run").
      if (quantifiable) out += ch;
      else if (out === "") return { ok: false, message: `pattern \`${pattern}\` starts with \`${ch}\`, which needs a character before it` };
      quantifiable = false;
      i += 1;
    } else if (ch === "[") {
      const close = pattern.indexOf("]", i + 1);
      if (close === -1) return { ok: false, message: `pattern \`${pattern}\` has an unclosed \`[\`` };
      const body = pattern.slice(i + 1, close);
      const cls = compileClass(body);
      if (cls === null) {
        return {
          ok: false,
          message: `pattern \`${pattern}\` has an invalid \`[${body}]\` (ranges may only be within a-z, A-Z or 0-9)`,
        };
      }
      out += cls;
      quantifiable = true;
      i = close + 1;
    } else {
      out += escapeChar(ch);
      quantifiable = true;
      i += 1;
    }
  }
  try {
    return { ok: true, regex: new RegExp(`^${out}$`, "u") };
  } catch (error) {
    return { ok: false, message: `pattern \`${pattern}\` is invalid: ${(error as Error).message}` };
  }
}

function compileClass(body: string): string | null {
  if (body === "") return null;
  let out = "";
  let i = 0;
  while (i < body.length) {
    const from = body[i] as string;
    const to = body[i + 2];
    if (body[i + 1] === "-" && to !== undefined) {
      if (!isSameRangeKind(from, to) || from > to) return null;
      out += `${from}-${to}`;
      i += 3;
    } else {
      out += escapeClassChar(from);
      i += 1;
    }
  }
  return `[${out}]`;
}

function isSameRangeKind(a: string, b: string): boolean {
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/];
  return kinds.some((kind) => kind.test(a) && kind.test(b));
}

/** Null when the pattern (possibly `!`-negated) compiles, else why not. */
export function validatePattern(pattern: string): string | null {
  if (pattern === "!") return "pattern `!` negates nothing";
  const body = pattern.startsWith("!") ? pattern.slice(1) : pattern;
  const result = compileGlob(body);
  return result.ok ? null : result.message;
}

/**
 * A matcher for a filter list. Patterns are applied in order and the last one that
 * matches decides, so `["release/**", "!release/old"]` keeps everything under release/
 * except release/old. A list of only `!` patterns matches nothing, as in Actions.
 * Throws on a pattern that does not compile: parseKickoffConfig rejects those first.
 */
export function compileFilter(patterns: string[]): (name: string) => boolean {
  const rules = patterns.map((pattern) => {
    const negated = pattern.startsWith("!");
    const compiled = compileGlob(negated ? pattern.slice(1) : pattern);
    if (!compiled.ok) throw new Error(compiled.message);
    return { negated, regex: compiled.regex };
  });
  return (name) => {
    let matched = false;
    for (const rule of rules) {
      if (rule.negated === matched && rule.regex.test(name)) matched = !rule.negated;
    }
    return matched;
  };
}
