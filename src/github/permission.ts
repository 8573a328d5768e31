import type { InstallationOctokit } from "./github-app.js";

export type PermissionCheck = { allowed: true } | { allowed: false; reason: string };

const WRITERS = new Set(["admin", "maintain", "write"]);

/**
 * Whether `user` may write to the repository, asked of GitHub at the time of the request.
 * Anything short of a clear yes (not a collaborator, GitHub unreachable) is a no: a
 * failed check must never let code run.
 */
export async function checkWritePermission(octokit: InstallationOctokit, owner: string, repo: string, user: string): Promise<PermissionCheck> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: user });
    const role = (data as { role_name?: string }).role_name ?? data.permission;
    if (WRITERS.has(role) || WRITERS.has(data.permission)) return { allowed: true };
    return { allowed: false, reason: `@${user} has ${role} access; write, maintain or admin is needed` };
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status === 404) return { allowed: false, reason: `@${user} is not a collaborator` };
    return { allowed: false, reason: `could not check @${user}'s permission with GitHub${typeof status === "number" ? ` (HTTP ${status})` : ""}` };
  }
}
