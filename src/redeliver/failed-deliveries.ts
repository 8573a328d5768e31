// Which webhook deliveries to ask GitHub for again. GitHub lists every attempt as its own
// item: a redelivery has `redelivery: true` and the GUID of the delivery it repeats. A
// GUID counts as lost only when no attempt of it in the window got a 2xx answer.

/** The fields Kickoff reads from GitHub's hook delivery items. */
export interface DeliveryItem {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  status: string;
  status_code: number;
  event: string;
  action: string | null;
}

export interface DeliverySelection {
  /** One item per lost GUID (its newest failed attempt), oldest first. */
  toRedeliver: DeliveryItem[];
  /** Items delivered since the start of the window. */
  checked: number;
  /** GUIDs with a failed attempt in the window. */
  failedGuids: number;
  /** Of those, GUIDs a later attempt delivered after all. */
  recoveredGuids: number;
}

export function isDelivered(item: Pick<DeliveryItem, "status_code">): boolean {
  return item.status_code >= 200 && item.status_code < 300;
}

export function deliveredAtMs(item: Pick<DeliveryItem, "delivered_at">): number {
  const ms = Date.parse(item.delivered_at);
  return Number.isNaN(ms) ? 0 : ms;
}

export function selectRedeliveries(items: Iterable<DeliveryItem>, sinceMs: number): DeliverySelection {
  const byGuid = new Map<string, DeliveryItem[]>();
  let checked = 0;
  for (const item of items) {
    if (deliveredAtMs(item) < sinceMs) continue;
    checked += 1;
    const attempts = byGuid.get(item.guid);
    if (attempts) attempts.push(item);
    else byGuid.set(item.guid, [item]);
  }
  const toRedeliver: DeliveryItem[] = [];
  let failedGuids = 0;
  let recoveredGuids = 0;
  for (const attempts of byGuid.values()) {
    if (!attempts.some((a) => !isDelivered(a))) continue;
    failedGuids += 1;
    if (attempts.some(isDelivered)) {
      recoveredGuids += 1;
      continue;
    }
    const newest = attempts.reduce((a, b) => (deliveredAtMs(b) > deliveredAtMs(a) || (deliveredAtMs(b) === deliveredAtMs(a) && b.id > a.id) ? b : a));
    toRedeliver.push(newest);
  }
  toRedeliver.sort((a, b) => deliveredAtMs(a) - deliveredAtMs(b) || a.id - b.id);
  return { toRedeliver, checked, failedGuids, recoveredGuids };
}
