import type { Logger } from "pino";
import type { Rejection } from "../app/intake/webhook-intake.js";
import type { Clock } from "../shared/clock.js";
import type { Store } from "../store/database.js";
import { insertRejections, type RejectedRequest } from "../store/delivery-audit.js";

const MAX_PENDING = 200;
const FLUSH_MS = 1000;

const cut = (s: string | null, n: number) => (s === null ? null : s.slice(0, n));

/**
 * Keeps refused webhook requests for the audit log without slowing intake: the request
 * only appends to a small buffer, written in one insert a second later. Under a flood
 * of bad requests the buffer caps what is kept (the metrics still count them all), so
 * an attacker cannot turn bad signatures into unbounded database writes.
 */
export class RejectionLog {
  private pending: RejectedRequest[] = [];
  private dropped = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  record(event: string, r: Rejection): void {
    if (this.pending.length >= MAX_PENDING) {
      this.dropped += 1;
      return;
    }
    this.pending.push({
      received_at: this.clock.now(),
      event: cut(event, 100),
      delivery: cut(r.delivery, 100),
      status: r.status,
      reason: r.reason.slice(0, 200),
      remote_address: cut(r.remoteAddress, 64),
    });
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes what is buffered (also called on shutdown). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const rows = this.pending;
    const dropped = this.dropped;
    this.pending = [];
    this.dropped = 0;
    if (dropped > 0) this.log.warn({ dropped }, "too many rejected webhook requests to keep them all in the audit log");
    this.writing = this.writing
      .then(() => insertRejections(this.store.db, rows))
      .catch((error: unknown) => this.log.error({ err: error }, "recording rejected webhook requests failed"));
    return this.writing;
  }
}
