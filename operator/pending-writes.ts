/**
 * Writes the operator sent that its caches do not show yet (client-go's controller "expectations"). A pass that
 * starts before the watch brings back the last pass's writes plans them again: with a reconcile's writes in
 * flight together, a thousand nodes cost hundreds of repeated Node patches and Job creations. A write counts as
 * seen when a watch event carries the resourceVersion the write returned (`observed`), or a pass finds the cache
 * holding it; a write not seen within `ttlMs` (the watch re-listed past it) stops counting, so a needed write is
 * delayed, never lost. The event matters: an object changed again before the next pass (a Job's status, a Node
 * heartbeat) never shows the write's own version in the cache, and the next write to it would wait out the TTL.
 * The event can also come before the write's own response: events for a key between `sending` and `sent` are kept
 * for that one check.
 */
export class PendingWrites {
  private readonly pending = new Map<string, { readonly what: string; readonly resourceVersion: string | undefined; readonly at: number }>();
  /** Keys whose write is on its way, with the resourceVersions watch events brought for them meanwhile. */
  private readonly answering = new Map<string, Set<string>>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(ttlMs: number, now: () => number = () => performance.now()) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /** A write to `key` is about to be sent: its watch event may come before its response. */
  sending(key: string): void {
    this.answering.set(key, new Set());
  }

  /** The write to `key` failed: there is nothing to wait for. */
  abandoned(key: string): void {
    this.answering.delete(key);
  }

  /** `what` (e.g. a patch's canonical JSON) was written to `key`; the API server answered with `resourceVersion`. */
  sent(key: string, what: string, resourceVersion: string | undefined): void {
    const early = this.answering.get(key);
    this.answering.delete(key);
    if (resourceVersion !== undefined && early?.has(resourceVersion)) return; // its event came first
    this.pending.set(key, { what, resourceVersion, at: this.now() });
  }

  /** A watch event brought `key` at `resourceVersion`: the write that returned it is seen. */
  observed(key: string, resourceVersion: string | undefined): void {
    if (resourceVersion === undefined) return;
    this.answering.get(key)?.add(resourceVersion);
    if (this.pending.get(key)?.resourceVersion === resourceVersion) this.pending.delete(key);
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
