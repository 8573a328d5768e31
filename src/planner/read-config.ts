import { CONFIG_PATH } from "../config/kickoff-config.js";
import type { InstallationOctokit } from "../github/github-app.js";

export type ConfigFile = { found: false } | { found: true; text: string };

/** `.github/kickoff.yml` at exactly the commit being built; a 404 means "no config". */
export async function readConfigAt(octokit: InstallationOctokit, owner: string, repo: string, sha: string): Promise<ConfigFile> {
  try {
    const { data } = await octokit.rest.repos.getContent({ owner, repo, path: CONFIG_PATH, ref: sha });
    if (Array.isArray(data) || data.type !== "file" || !("content" in data)) return { found: false };
    const text = data.encoding === "base64" ? Buffer.from(data.content, "base64").toString("utf8") : data.content;
    return { found: true, text };
  } catch (error) {
    if ((error as { status?: unknown }).status === 404) return { found: false };
    throw error;
  }
}
