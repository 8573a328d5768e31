/**
 * Tells a build running in this process that a cancel was stored for it, so it stops at
 * once instead of at its next heartbeat. Builds on other machines learn of it from the
 * heartbeat, which reads the same row.
 */
export class CancelBus {
  private readonly listeners = new Map<number, () => void>();

  subscribe(buildId: number, listener: () => void): () => void {
    this.listeners.set(buildId, listener);
    return () => {
      if (this.listeners.get(buildId) === listener) this.listeners.delete(buildId);
    };
  }

  notify(buildId: number): void {
    this.listeners.get(buildId)?.();
  }
}
