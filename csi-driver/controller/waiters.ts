/**
 * Waiting on LocalVolume changes through the informer's watch events (never polling): a waiter is checked once
 * against the cache when it starts and then on every event for its volume, until it decides or its deadline passes.
 */
import type { LocalVolume } from '../../api/generated/types.js';
import { deadlineExceeded } from '../grpc/errors.js';

/** Returns the result, throws to fail, or undefined to keep waiting. `lv` is undefined once the object is gone. */
export type Decide<T> = (lv: LocalVolume | undefined) => T | undefined;

interface Waiter {
  check(lv: LocalVolume | undefined): void;
}

export class LocalVolumeWaiters {
  private readonly byName = new Map<string, Set<Waiter>>();

  /** Called for every LocalVolume event (after the cache holds it). */
  notify(name: string, lv: LocalVolume | undefined): void {
    for (const w of [...(this.byName.get(name) ?? [])]) w.check(lv);
  }

  /**
   * Resolves with the first result `decide` gives, starting from `current`; rejects with its error, or with
   * DEADLINE_EXCEEDED (`timeoutMessage()`) after `timeoutMs`: the CO retries, and its repeat finds the same object.
   */
  wait<T>(name: string, current: LocalVolume | undefined, decide: Decide<T>, timeoutMs: number, timeoutMessage: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let set = this.byName.get(name);
      if (!set) this.byName.set(name, (set = new Set()));
      const waiters = set;
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(waiter);
        if (waiters.size === 0 && this.byName.get(name) === waiters) this.byName.delete(name);
      };
      const waiter: Waiter = {
        check: (lv) => {
          try {
            const result = decide(lv);
            if (result === undefined) return;
            finish();
            resolve(result);
          } catch (err) {
            finish();
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        },
      };
      const timer = setTimeout(() => {
        finish();
        reject(deadlineExceeded(timeoutMessage()));
      }, timeoutMs);
      waiters.add(waiter);
      waiter.check(current);
    });
  }
}
