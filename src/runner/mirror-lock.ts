// Serializes work on one mirror within this process: two builds of one repository
// fetching into the same bare repository at once would race on its refs and lock files.
const tails = new Map<string, Promise<void>>();

/**
 * Runs `work` once the previous holder of `key` is done. `work` may `hold` the lock past
 * its own return for a promise it started (a ref update the caller need not wait for):
 * the result goes back at once, the next holder waits until that settles too.
 */
export async function withMirrorLock<T>(key: string, work: (hold: (pending: Promise<unknown>) => void) => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  let release: () => void = () => {};
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  await previous;
  const held: Array<Promise<unknown>> = [];
  try {
    // Failures of held work are the caller's to report; here they only end the hold.
    return await work((pending) => held.push(pending.catch(() => undefined)));
  } finally {
    void Promise.all(held).then(() => {
      release();
      // Forget the key once nobody queued behind us, so the map does not grow forever.
      if (tails.get(key) === tail) tails.delete(key);
    });
  }
}
