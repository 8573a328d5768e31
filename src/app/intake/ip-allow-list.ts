import type { BlockList } from "node:net";
import { blockListOf, type Cidr, inList } from "../../web/cidr-list.js";

export type SourceVerdict = "allowed" | "refused" | "not-ready";

/**
 * KICKOFF_WEBHOOK_ALLOWED_IPS: the networks webhooks may come from. `github` adds
 * GitHub's published hook ranges, which arrive later (from the API's `/meta`) and are
 * replaced whenever a refresh succeeds.
 */
export class WebhookAllowList {
  private readonly fixed: BlockList;
  private github: BlockList | null = null;

  constructor(
    cidrs: readonly Cidr[],
    /** Whether the list includes `github`. */
    readonly includesGitHub: boolean,
  ) {
    this.fixed = blockListOf(cidrs);
  }

  /** GitHub's current hook ranges (a successful `/meta` read). */
  setGitHubRanges(cidrs: readonly Cidr[]): void {
    this.github = blockListOf(cidrs);
  }

  get gitHubRangesKnown(): boolean {
    return this.github !== null;
  }

  /**
   * `not-ready`: the address is in no listed network, and GitHub's ranges are not known
   * yet, so it may be GitHub's. Such a request is refused too (never stored), but with a
   * 503, so GitHub shows a failed delivery that `kickoff redeliver` can recover.
   */
  check(address: string | null): SourceVerdict {
    if (address === null) return "refused";
    if (inList(this.fixed, address)) return "allowed";
    if (!this.includesGitHub) return "refused";
    if (this.github === null) return "not-ready";
    return inList(this.github, address) ? "allowed" : "refused";
  }
}
