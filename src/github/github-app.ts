import type { Probot, ProbotOctokit } from "probot";

export type InstallationOctokit = InstanceType<typeof ProbotOctokit>;

/** The App's view of GitHub that outbox and workers need, behind a small interface. */
export interface GitHubApp {
  installation(installationId: number): Promise<InstallationOctokit>;
  /** An installation token for git; never logged, never put in argv or a run's env. */
  installationToken(installationId: number): Promise<string>;
}

export function probotGitHubApp(probot: Probot): GitHubApp {
  return {
    installation: (id) => probot.auth(id),
    async installationToken(id) {
      const octokit = await probot.auth(id);
      // Probot caches installation tokens (59 minutes), so this is usually no request.
      const auth = (await octokit.auth({ type: "installation" })) as { token: string };
      return auth.token;
    },
  };
}
