// Webhook data (sha, ref) and the repository name end up as git arguments and path
// components. Each must be exactly what it claims to be, so none can become a git option
// (`--upload-pack=…`), a revision expression, or a path outside the data directory.

const SHA = /^[0-9a-f]{40}$/i;
// git check-ref-format's character rules: no control characters, space, `~ ^ : ? * [ \`.
// Everything else is a legal branch name (`fix-$(x)`, `a;b`, `ü`) and reaches git as one
// argument, never through a shell, so it is accepted as GitHub accepts it.
const REF = /^refs\/[^\x00-\x20\x7f~^:?*[\\]+$/;
const REPO_PART = /^[A-Za-z0-9._-]+$/;

export function validSha(sha: string): string | null {
  return SHA.test(sha) ? sha.toLowerCase() : null;
}

export function isSafeRef(ref: string): boolean {
  if (!REF.test(ref)) return false;
  // git check-ref-format's rules that the character class alone does not cover.
  if (ref.includes("..") || ref.includes("//") || ref.includes("@{") || ref.endsWith("/") || ref.endsWith(".")) return false;
  return ref.split("/").every((part) => part !== "" && !part.startsWith(".") && !part.endsWith(".lock"));
}

/** [owner, name] of an `owner/name`, or null. */
export function repositoryParts(repository: string): [string, string] | null {
  const parts = repository.split("/");
  if (parts.length !== 2) return null;
  const [owner, name] = parts;
  if (owner === undefined || name === undefined) return null;
  const ok = (part: string): boolean => REPO_PART.test(part) && part !== "." && part !== "..";
  return ok(owner) && ok(name) ? [owner, name] : null;
}

/** The URL without any user or password in it, or null when it is not one git may use. */
export function cleanCloneUrl(cloneUrl: string): string | null {
  // Control characters would corrupt git's config file; a leading dash would be an option.
  if (/[\0-\x1f\x7f]/.test(cloneUrl) || cloneUrl.startsWith("-")) return null;
  if (cloneUrl.startsWith("/")) return cloneUrl;
  let url: URL;
  try {
    url = new URL(cloneUrl);
  } catch {
    return null;
  }
  if (!["https:", "http:", "file:"].includes(url.protocol)) return null;
  url.username = "";
  url.password = "";
  return url.toString();
}
