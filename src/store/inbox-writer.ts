import type { Kysely } from "kysely";
import type { PutResult } from "./inbox.js";
import type { Database, NewDelivery } from "./schema.js";

/** Where intake stores deliveries. */
export interface DeliveryInbox {
  put(delivery: NewDelivery): Promise<PutResult>;
}

interface Waiting {
  row: NewDelivery;
  resolve(result: PutResult): void;
  reject(error: unknown): void;
}

const MAX_BATCH = 200;

/**
 * Group commit for the inbox. Each commit costs far more than the row it writes, so
 * deliveries arriving together share one multi-row `INSERT … ON CONFLICT DO NOTHING
 * RETURNING id`: one statement and one commit for all of them. Every caller is answered
 * only after the commit that holds its row, so no 2xx ever precedes durability. While one
 * batch is being written the next one gathers, so batches grow with the load and an idle
 * server adds no delay beyond one turn of the event loop. The duplicate check is the insert
 * itself: a read-then-write would let two copies of one delivery race past each other.
 */
export class InboxWriter implements DeliveryInbox {
  private gathering: Waiting[] = [];
  private writing = false;
  private scheduled = false;

  constructor(private readonly db: Kysely<Database>) {}

  put(row: NewDelivery): Promise<PutResult> {
    return new Promise((resolve, reject) => {
      this.gathering.push({ row, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.writing || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.write();
    });
  }

  private async write(): Promise<void> {
    if (this.writing || this.gathering.length === 0) return;
    this.writing = true;
    const batch = this.gathering.splice(0, MAX_BATCH);
    try {
      // A delivery id twice in one batch: the first copy is the one stored.
      const first = new Map<string, Waiting>();
      for (const w of batch) if (!first.has(w.row.id)) first.set(w.row.id, w);
      const inserted = await this.db
        .insertInto("deliveries")
        .values([...first.values()].map((w) => w.row))
        .onConflict((oc) => oc.column("id").doNothing())
        .returning("id")
        .execute();
      const stored = new Set(inserted.map((r) => r.id));
      for (const w of batch) w.resolve(first.get(w.row.id) === w && stored.has(w.row.id) ? "inserted" : "duplicate");
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      this.writing = false;
      if (this.gathering.length > 0) this.schedule();
    }
  }
}
