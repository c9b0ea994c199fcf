/**
 * Writes the operator sent that its caches do not show yet (client-go's controller "expectations"). A pass that
 * starts before the watch brings back the last pass's writes plans them again: with a reconcile's writes in
 * flight together, a thousand nodes cost hundreds of repeated Node patches and Job creations. A write counts as
 * seen when the cache holds the resourceVersion the write returned; a write not seen within `ttlMs` (the watch
 * re-listed past it, or someone changed the object again) stops counting, so a needed write is delayed, never lost.
 */
export class PendingWrites {
  private readonly pending = new Map<string, { readonly what: string; readonly resourceVersion: string | undefined; readonly at: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(ttlMs: number, now: () => number = () => performance.now()) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /** `what` (e.g. a patch's canonical JSON) was written to `key`; the API server answered with `resourceVersion`. */
  sent(key: string, what: string, resourceVersion: string | undefined): void {
    this.pending.set(key, { what, resourceVersion, at: this.now() });
  }

  /**
   * Forgets the writes the caches now show (`cached(key)`: the cached object's resourceVersion) and those older
   * than the TTL. Returns in how many ms the oldest write left expires (undefined: none left), for a requeue.
   */
  settle(cached: (key: string) => string | undefined): number | undefined {
    let next: number | undefined;
    for (const [key, w] of this.pending) {
      const left = w.at + this.ttlMs - this.now();
      if (left <= 0 || (w.resourceVersion !== undefined && cached(key) === w.resourceVersion)) this.pending.delete(key);
      else next = Math.min(next ?? left, left);
    }
    return next;
  }

  /** Whether exactly `what` was written to `key` and is not yet seen: sending it again would change nothing. */
  inFlight(key: string, what: string): boolean {
    return this.pending.get(key)?.what === what;
  }

  get size(): number {
    return this.pending.size;
  }
}
