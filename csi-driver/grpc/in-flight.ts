import { aborted } from './errors.js';

/**
 * One operation per volume (or snapshot) at a time. The sidecars and the kubelet retry on ABORTED, so a second call
 * for a busy key is refused at once instead of queued behind a slow lvcreate or mkfs (the CSI spec's "operation
 * pending for volume" answer).
 */
export class InFlight {
  private readonly busy = new Set<string>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy.has(key)) throw aborted(`an operation on ${key} is already in progress`);
    this.busy.add(key);
    try {
      return await fn();
    } finally {
      this.busy.delete(key);
    }
  }

  /** Keys being worked on now (graceful shutdown waits for none). */
  get size(): number {
    return this.busy.size;
  }
}
