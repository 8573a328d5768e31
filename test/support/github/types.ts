// Public shapes of the GitHub stand-in. Kept apart from the implementation so test
// files can `import type` them without pulling in node:http or child processes.

export interface StandInOptions {
  appId?: number;
}

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
  raw_details?: string;
}

export interface CheckRunRecord {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  external_id: string | null;
  details_url: string | null;
  output: {
    title: string | null;
    summary: string | null;
    text: string | null;
    /** Accumulated across updates, as GitHub does. */
    annotations: Annotation[];
  };
  actions: unknown[];
  started_at: string | null;
  completed_at: string | null;
}

export interface FailRule {
  method?: string;
  /** Tested against the request's full path without the query, e.g. "/api/v3/repos/a/b/check-runs". */
  path?: RegExp;
  status: number | "hang" | "reset";
  /** Default Infinity. */
  times?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** How a request authenticated. Secrets themselves are never recorded. */
export interface RequestAuth {
  kind: "none" | "jwt" | "installation-token" | "invalid";
  /** Basic-auth user name (git requests), e.g. "x-access-token". */
  user?: string;
  /** Installation the token belongs to, when kind is "installation-token". */
  installationId?: number;
}

export interface RecordedRequest {
  method: string;
  /** Full path without the query: "/api/v3/repos/o/r/check-runs" or "/o/r.git/info/refs". */
  path: string;
  query: Record<string, string>;
  /** Lower-cased names; `authorization` is redacted to "<scheme> [redacted]". */
  headers: Record<string, string>;
  /** Parsed JSON for API requests; `{ bytes }` for git requests. */
  body: unknown;
  /** 0 while unanswered, and for "hang" / "reset" faults. */
  status: number;
  at: number;
  /** When the answer was sent (API and git requests); the stand-in's own service time is answeredAt − at. */
  answeredAt?: number;
  kind: "api" | "git" | "other";
  auth: RequestAuth;
  /** Set when a FailRule answered instead of the route. */
  fault?: number | "hang" | "reset";
}

export type Permission = "admin" | "write" | "maintain" | "triage" | "read" | "none";

export interface PullOptions {
  baseBranch: string;
  headSha: string;
  headRef?: string;
  title?: string;
  user?: string;
  draft?: boolean;
  state?: "open" | "closed";
  fork?: { fullName: string; cloneUrl: string };
}

export interface CommitOptions {
  branch: string;
  /** null deletes the file. */
  files: Record<string, string | null>;
  message?: string;
  /** Default: the branch tip, or no parent for a new branch. */
  parent?: string;
  /** Paths (among `files`) to store with mode 100755. */
  executable?: string[];
}

export interface StandInRepo {
  readonly fullName: string;
  readonly owner: string;
  readonly name: string;
  readonly id: number;
  readonly private: boolean;
  readonly defaultBranch: string;
  readonly installationId: number;
  /** The stand-in's App id, so payload helpers can fill `app.id`. */
  readonly appId: number;
  readonly htmlUrl: string;
  readonly cloneUrl: string;
  readonly bareDir: string;
  commit(opts: CommitOptions): Promise<string>;
  tag(name: string, sha: string): Promise<void>;
  /** Fetches the commit from another stand-in repo when it is not here (fork PRs). */
  setRef(ref: string, sha: string): Promise<void>;
  deleteBranch(name: string): Promise<void>;
  head(branch: string): Promise<string>;
  pull(number: number, opts: PullOptions): void;
  setPermission(user: string, permission: Permission): void;
}

export interface IssueCommentRecord {
  id: number;
  number: number;
  body: string;
  user: string;
  created_at: string;
  updated_at: string;
  /** Every body the comment had, oldest first. */
  history: string[];
}

export interface ReactionRecord {
  id: number;
  commentId: number;
  content: string;
}

export interface DeploymentStatusRecord {
  id: number;
  state: string;
  description: string | null;
  log_url: string | null;
  environment_url: string | null;
  environment: string;
  created_at: string;
}

export interface DeploymentRecord {
  id: number;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  description: string | null;
  payload: unknown;
  auto_merge: boolean;
  required_contexts: string[] | null;
  transient_environment: boolean;
  production_environment: boolean;
  creator: string;
  created_at: string;
  statuses: DeploymentStatusRecord[];
}

export interface HookDelivery {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  duration: number;
  status: string;
  status_code: number;
  event: string;
  action: string | null;
  installation_id: number | null;
  repository_id: number | null;
}

export interface WaitOptions {
  timeoutMs?: number;
  message?: string;
}

export interface GitHubStandIn {
  readonly url: string;
  readonly host: string;
  readonly apiUrl: string;
  readonly appId: number;
  readonly privateKey: string;
  createRepo(fullName: string, opts?: { private?: boolean; defaultBranch?: string; installationId?: number }): Promise<StandInRepo>;
  repo(fullName: string): StandInRepo;
  readonly requests: RecordedRequest[];
  checkRuns(fullName: string, sha?: string): CheckRunRecord[];
  checkRunHistory(id: number): CheckRunRecord[];
  comments(fullName: string, number?: number): IssueCommentRecord[];
  reactions(fullName: string): ReactionRecord[];
  deployments(fullName: string): DeploymentRecord[];
  addHookDeliveries(items: Array<Partial<HookDelivery>>): HookDelivery[];
  redeliveryAttempts(): number[];
  /** Replaces what GET /meta lists as `hooks` (default: github.com's ranges). */
  setHookRanges(ranges: string[]): void;
  waitFor<T>(fn: () => T | undefined | false | null, opts?: WaitOptions): Promise<T>;
  fail(rule: FailRule): void;
  clearFailures(): void;
  issuedTokens(): string[];
  close(): Promise<void>;
}
