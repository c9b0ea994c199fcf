import type { Logger } from './log.js';

/** The clock and timers the queue schedules with (injected by tests to drive time explicitly). */
export interface QueueTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: QueueTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

export interface WorkQueueOptions {
  /** Longest backoff after repeated failures. @default 300000 */
  readonly maxBackoffMs?: number;
  /**
   * A key starts at most once in this long: an add within the window of its last start waits for the window's end,
   * so a burst of events costs one run, as kube-controller-manager's Job controller batches pod updates. An add
   * after a quiet spell runs at once. @default 0 (no batching)
   */
  readonly batchMs?: number;
  readonly timers?: QueueTimers;
}

/**
 * A keyed work queue like client-go's: a key is processed by one worker at a time, adding a key that is
 * already queued is a no-op, a key added while it is being processed runs once more afterwards, and
 * `addAfter` schedules a retry without polling (the earliest pending deadline of a key wins, as in client-go's
 * delaying queue). Failures retry with per-key exponential backoff. With `batchMs`, adds are batched per key.
 */
export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly scheduled = new Map<string, { readonly at: number; readonly handle: unknown }>();
  private readonly failures = new Map<string, number>();
  /**
   * When each key last started (batchMs only: one entry per key ever run, which for the operator's queue is its
   * clusters), and the keys waiting for their batch window to end.
   */
  private readonly lastStart = new Map<string, number>();
  private readonly held = new Map<string, unknown>();
  private draining = false;
  private stopped = false;
  private readonly process: (key: string) => Promise<void>;
  private readonly log: Logger;
  private readonly maxBackoffMs: number;
  private readonly batchMs: number;
  private readonly timers: QueueTimers;

  constructor(process: (key: string) => Promise<void>, log: Logger, options: WorkQueueOptions = {}) {
    this.process = process;
    this.log = log;
    this.maxBackoffMs = options.maxBackoffMs ?? 300_000;
    this.batchMs = options.batchMs ?? 0;
    this.timers = options.timers ?? realTimers;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.held.has(key)) return;
    const windowLeft = this.batchMs - (this.timers.now() - (this.lastStart.get(key) ?? -Infinity));
    if (windowLeft > 0) {
      this.held.set(key, this.timers.setTimeout(() => {
        this.held.delete(key);
        this.add(key);
      }, windowLeft));
      return;
    }
    this.queued.add(key);
    this.drain();
  }

  /**
   * Adds `key` after `delayMs`. A key has at most one pending deadline, the earliest asked for: a short retry is
   * never swallowed by a long requeue already pending (that one is dropped; the run it brings forward asks again).
   */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    const at = this.timers.now() + delayMs;
    const pending = this.scheduled.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.timers.clearTimeout(pending.handle);
    const handle = this.timers.setTimeout(() => {
      this.scheduled.delete(key);
      this.add(key);
    }, delayMs);
    this.scheduled.set(key, { at, handle });
  }

  get length(): number {
    return this.queued.size;
  }

  stop(): void {
    this.stopped = true;
    for (const { handle } of this.scheduled.values()) this.timers.clearTimeout(handle);
    this.scheduled.clear();
    for (const handle of this.held.values()) this.timers.clearTimeout(handle);
    this.held.clear();
    this.queued.clear();
  }

  /**
   * Resolves when nothing is queued, running or waiting for its batch window; pending `addAfter` deadlines are not
   * waited for (tests use it).
   */
  async idle(): Promise<void> {
    while (this.queued.size > 0 || this.running.size > 0 || this.held.size > 0) await new Promise((r) => setTimeout(r, 10));
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
        if (this.batchMs > 0) this.lastStart.set(key, this.timers.now());
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
