import { config as loadDotenv } from "dotenv";

/**
 * Loads ./.env into process.env (values already set win), as Probot does. A missing file
 * is normal; one that exists but cannot be read is a setup mistake worth one clear line
 * (dotenv itself would only return the error).
 */
export function loadDotenvFile(file = ".env"): string | null {
  const result = loadDotenv({ path: file, quiet: true });
  const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
  if (result.error === undefined || code === "ENOENT") return null;
  return `${file}: cannot read it (${code ?? result.error.message.split("\n")[0]})`;
}
