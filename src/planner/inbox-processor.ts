import type { Logger } from "pino";
import type { Probot } from "probot";
import { classifyFailure } from "../github/retry-policy.js";
import type { Clock } from "../shared/clock.js";
import type { Store } from "../store/database.js";
import { claimDelivery, failDelivery, finishDelivery } from "../store/inbox.js";

export interface InboxProcessorOptions {
  store: Store;
  clock: Clock;
  probot: Probot;
  log: Logger;
  workerId: string;
  /** Gives up on a delivery after this many failed attempts (GitHub kept failing). */
  maxAttempts?: number;
}

/**
 * Hands each stored delivery to the Probot app exactly once per successful attempt.
 * A failure (GitHub unreachable while reading the config) is kept on the row and retried
 * with back-off; planning is idempotent, so a retry after a partial success adds nothing.
 */
export class InboxProcessor {
  constructor(private readonly o: InboxProcessorOptions) {}

  async step(): Promise<boolean> {
    const { store, clock, workerId } = this.o;
    const delivery = await claimDelivery(store.db, clock, workerId, 5 * 60_000, store.dialect === "postgres");
    if (!delivery) return false;
    const log = this.o.log.child({ delivery: delivery.id, event: delivery.event });
    try {
      const payload = JSON.parse(delivery.payload) as object;
      await this.o.probot.receive({ id: delivery.id, name: delivery.event, payload } as Parameters<Probot["receive"]>[0]);
      await finishDelivery(store.db, clock, delivery.id, workerId, null);
      log.debug("delivery processed");
    } catch (error) {
      const cause = unwrap(error);
      const verdict = classifyFailure(cause, delivery.attempts, clock.now());
      const retry = verdict.retry && delivery.attempts < (this.o.maxAttempts ?? 12);
      log.warn({ err: cause, attempt: delivery.attempts, retry }, `planning failed: ${verdict.reason}`);
      await failDelivery(store.db, clock, delivery.id, workerId, verdict.reason, retry ? (verdict.retry ? verdict.delayMs : 0) : null);
    }
    return true;
  }
}

/** Probot wraps handler errors in an AggregateError; the first one carries the HTTP status. */
function unwrap(error: unknown): unknown {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors[0];
  const inner = (error as { errors?: unknown[] }).errors;
  return Array.isArray(inner) && inner.length > 0 ? inner[0] : error;
}
