import type { Kysely } from "kysely";
import type { PutResult } from "../../src/store/inbox.js";
import { InboxWriter } from "../../src/store/inbox-writer.js";
import type { Database, NewDelivery } from "../../src/store/schema.js";

/** A pending push delivery with plausible values; override what a test cares about. */
export function newDelivery(overrides: Partial<NewDelivery> & { id: string }): NewDelivery {
  return {
    event: "push",
    action: null,
    installation_id: 1,
    repository: "acme/shop",
    sender: "octocat",
    payload: "{}",
    received_at: 0,
    status: "pending",
    next_attempt_at: overrides.received_at ?? 0,
    locked_by: null,
    locked_until: null,
    processed_at: null,
    outcome: null,
    error: null,
    ...overrides,
  };
}

/** Stores a delivery the way intake does (through the group-committing inbox). */
export function storeDelivery(db: Kysely<Database>, delivery: NewDelivery): Promise<PutResult> {
  return new InboxWriter(db).put(delivery);
}
