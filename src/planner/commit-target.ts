/** Everything about one commit to build that comes from the webhook. */
export interface CommitTarget {
  repository: { id: number; fullName: string; owner: string; name: string; private: boolean; cloneUrl: string; htmlUrl: string };
  installationId: number;
  sha: string;
  ref: string | null;
  branch: string | null;
  event: "push" | "pull_request" | "deployment";
  prNumber: number | null;
  sender: string | null;
  deliveryId: string;
  /** A deployment made outside Kickoff that the build reports on (`deployment` webhook). */
  deploymentId?: number | null;
}

/** Payload repository fields Kickoff reads, as both push and pull_request carry them. */
export interface PayloadRepository {
  id: number;
  name: string;
  full_name: string;
  private: boolean;
  clone_url: string;
  html_url: string;
  owner: { login: string } | null;
}

export function targetRepository(r: PayloadRepository): CommitTarget["repository"] {
  return {
    id: r.id,
    fullName: r.full_name,
    owner: r.owner?.login ?? r.full_name.split("/")[0]!,
    name: r.name,
    private: r.private,
    cloneUrl: r.clone_url,
    htmlUrl: r.html_url,
  };
}
