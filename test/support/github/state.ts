import type { KeyObject } from "node:crypto";
import type { TokenStore } from "./auth.js";
import type { RepoImpl } from "./repo.js";
import type { CheckRunRecord, DeploymentRecord, HookDelivery, IssueCommentRecord, ReactionRecord } from "./types.js";

export interface StoredCheckRun {
  repo: string;
  run: CheckRunRecord;
  history: CheckRunRecord[];
}

/** Everything the routes read and write; one instance per stand-in. */
export interface StandInState {
  appId: number;
  publicKey: KeyObject;
  /** "http://127.0.0.1:PORT" */
  baseUrl: string;
  tokens: TokenStore;
  repos: Map<string, RepoImpl>;
  checkRuns: Map<number, StoredCheckRun>;
  comments: Map<string, IssueCommentRecord[]>;
  reactions: Map<string, ReactionRecord[]>;
  deployments: Map<string, DeploymentRecord[]>;
  hookDeliveries: HookDelivery[];
  redeliveryAttempts: number[];
  /** What GET /meta lists as `hooks`. */
  hookRanges: string[];
  /** One counter for every id the stand-in invents, so ids never collide across kinds. */
  nextId: () => number;
}

export function repoKey(owner: string, name: string): string {
  return `${owner}/${name}`.toLowerCase();
}

export function listFor<T>(map: Map<string, T[]>, key: string): T[] {
  let list = map.get(key);
  if (!list) {
    list = [];
    map.set(key, list);
  }
  return list;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}
