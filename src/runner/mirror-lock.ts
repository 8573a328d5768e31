// Serializes work on one mirror within this process: two builds of one repository
// fetching into the same bare repository at once would race on its refs and lock files.
const tails = new Map<string, Promise<void>>();

export async function withMirrorLock<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  let release: () => void = () => {};
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  await previous;
  try {
    return await work();
  } finally {
    release();
    // Forget the key once nobody queued behind us, so the map does not grow forever.
    if (tails.get(key) === tail) tails.delete(key);
  }
}
