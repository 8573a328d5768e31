import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { compileFilter, validatePattern } from "./glob.js";
import { SettingsError } from "./settings.js";

/** One deploy target from the server's environments file (KICKOFF_ENVIRONMENTS_FILE). */
export interface Environment {
  name: string;
  /** Branches (globs) allowed to deploy here. */
  branches: string[];
  /** Tags (globs) allowed to deploy here; none by default. */
  tags: string[];
  /** null = every repository the App is installed on. */
  repositories: string[] | null;
  secrets: Record<string, string>;
}

export type Environments = ReadonlyMap<string, Environment>;

const NAME = /^[A-Za-z0-9_.-]+$/;
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const list = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

const environmentSchema = z.strictObject({
  branches: list.optional(),
  tags: list.optional(),
  repositories: list.optional(),
  secrets: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

const fileSchema = z.record(z.string(), environmentSchema);

/**
 * Reads and checks the environments file at start: a missing or invalid file stops the
 * server with one line naming the problem. `${VAR}` in a secret is read from the server's
 * environment, so secrets need not be written in the file.
 */
export function loadEnvironments(file: string | null, env: Record<string, string | undefined>): Environments {
  if (file === null) return new Map();
  const fail = (message: string): never => {
    throw new SettingsError("KICKOFF_ENVIRONMENTS_FILE", `${file}: ${message}`);
  };
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    fail(`cannot read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    fail(`line ${e.linePos?.[0]?.line ?? 1}: ${e.message.split("\n")[0]}`);
  }
  const parsed = fileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(`${issue.path.join(".") || "top level"}: ${issue.message}`);
  }
  const environments = new Map<string, Environment>();
  for (const [name, raw] of Object.entries(parsed.data ?? {})) {
    if (!NAME.test(name)) fail(`environment name "${name}" may only hold letters, digits, "_", "." and "-"`);
    for (const pattern of [...(raw.branches ?? []), ...(raw.tags ?? [])]) {
      const problem = validatePattern(pattern);
      if (problem) fail(`${name}: pattern "${pattern}": ${problem}`);
    }
    const secrets: Record<string, string> = {};
    for (const [key, value] of Object.entries(raw.secrets ?? {})) {
      if (!SECRET_NAME.test(key) || key.startsWith("KICKOFF") || key === "CI") fail(`${name}: secret name "${key}" is not allowed`);
      secrets[key] = String(value).replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, variable: string) => {
        const resolved = env[variable];
        return resolved === undefined ? fail(`${name}: secret ${key} refers to \${${variable}}, which is not set`) : resolved;
      });
    }
    environments.set(name, { name, branches: raw.branches ?? [], tags: raw.tags ?? [], repositories: raw.repositories ?? null, secrets });
  }
  return environments;
}

export type DeployPermission = { allowed: true; environment: Environment } | { allowed: false; reason: string };

/** Whether a ref of a repository may deploy to an environment. */
export function mayDeploy(environments: Environments, name: string, repository: string, ref: string | null, branch: string | null): DeployPermission {
  const environment = environments.get(name);
  if (!environment) return { allowed: false, reason: `Environment ${name} is not configured on this Kickoff server` };
  if (environment.repositories !== null && !environment.repositories.some((r) => r.toLowerCase() === repository.toLowerCase())) {
    return { allowed: false, reason: `Deploy to ${name} is not allowed from ${repository}` };
  }
  const tag = ref?.startsWith("refs/tags/") ? ref.slice("refs/tags/".length) : null;
  const ok =
    tag !== null
      ? environment.tags.length > 0 && compileFilter(environment.tags)(tag)
      : branch !== null && environment.branches.length > 0 && compileFilter(environment.branches)(branch);
  if (!ok) return { allowed: false, reason: `Deploy to ${name} is not allowed from ${ref ?? branch ?? "this ref"}` };
  return { allowed: true, environment };
}
