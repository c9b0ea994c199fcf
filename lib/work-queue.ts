import type { Logger } from './log.js';

/**
 * A keyed work queue like client-go's: a key is processed by one worker at a time, adding a key that is
 * already queued is a no-op, a key added while it is being processed runs once more afterwards, and
 * `addAfter` schedules a retry without polling. Failures retry with per-key exponential backoff.
 */
export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  private draining = false;
  private stopped = false;
  private readonly process: (key: string) => Promise<void>;
  private readonly log: Logger;
  private readonly maxBackoffMs: number;

  constructor(process: (key: string) => Promise<void>, log: Logger, maxBackoffMs = 300_000) {
    this.process = process;
    this.log = log;
    this.maxBackoffMs = maxBackoffMs;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.queued.add(key);
    this.drain();
  }

  /** Adds `key` after `delayMs`; an earlier pending delay for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped || this.timers.has(key)) return;
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.add(key);
      }, delayMs),
    );
  }

  get length(): number {
    return this.queued.size;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queued.clear();
  }

  /** Resolves when nothing is queued, running or scheduled (for tests and graceful shutdown). */
  async idle(): Promise<void> {
    while (this.queued.size > 0 || this.running.size > 0) await new Promise((r) => setTimeout(r, 10));
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    queueMicrotask(() => {
      this.draining = false;
      for (const key of [...this.queued]) {
        if (this.running.has(key)) continue;
        this.queued.delete(key);
        this.running.add(key);
        void this.runOne(key);
      }
    });
  }

  private async runOne(key: string): Promise<void> {
    try {
      await this.process(key);
      this.failures.delete(key);
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = Math.min(this.maxBackoffMs, 500 * 2 ** (n - 1));
      this.log.warn({ err, key, attempt: n, retryInMs: delay }, 'reconcile failed; retrying with backoff');
      this.addAfter(key, delay);
    } finally {
      this.running.delete(key);
      if (this.dirty.delete(key)) this.add(key);
    }
  }
}
