/**
 * The reconciler's LVM facts, kept between passes instead of two full lvm2 reports per pass (on a slow node each
 * report costs about as much as the lvcreate it precedes). Read at the first need, then kept up to date from our
 * own commands: an LV we created is added (created), anything else we ran, or any command that failed, drops
 * them (invalidate) so the next pass reads again. Changes made by others are seen when the facts are older than
 * maxAgeMs, and whenever the reconciler asks for fresh ones: it does for every step that removes, resizes, copies or
 * concludes a failure (plan.ts, needsFreshFacts).
 *
 * Passes of different volumes run concurrently: a read that was overtaken by a change (a create or an
 * invalidation while it ran) is returned to its caller but not kept, so kept facts never lose a change.
 */
import { withCreatedLv, type LvFacts, type LvmFacts } from './lvm-facts.js';

export interface KnownFacts {
  readonly facts: LvmFacts;
  /** Read by this very call: as fresh as fresh() would give. */
  readonly readNow: boolean;
}

export class LvmFactsCache {
  private facts: LvmFacts | undefined;
  private readAt = 0;
  /** Bumped by every change of the kept facts: a read that started before one must not overwrite it. */
  private generation = 0;
  /** The read current() callers share, with the generation it started at. */
  private reading: { readonly facts: Promise<LvmFacts>; readonly generation: number } | undefined;
  private readonly read: () => Promise<LvmFacts>;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(read: () => Promise<LvmFacts>, maxAgeMs: number, now: () => number = Date.now) {
    this.read = read;
    this.maxAgeMs = maxAgeMs;
    this.now = now;
  }

  /**
   * The kept facts, or read ones when none are kept or they are older than maxAgeMs. A read already running is
   * shared unless a change came after it started (it may not show that change).
   */
  async current(): Promise<KnownFacts> {
    if (this.facts !== undefined && this.now() - this.readAt <= this.maxAgeMs) return { facts: this.facts, readNow: false };
    if (this.reading?.generation === this.generation) return { facts: await this.reading.facts, readNow: false };
    const reading = { facts: this.load(), generation: this.generation };
    this.reading = reading;
    try {
      return { facts: await reading.facts, readNow: true };
    } finally {
      if (this.reading === reading) this.reading = undefined;
    }
  }

  /** Facts read now: never a read that started earlier. */
  async fresh(): Promise<LvmFacts> {
    return this.load();
  }

  /** Our lvcreate made `lv` (read back from the kernel). */
  created(lv: LvFacts): void {
    this.generation++;
    if (this.facts !== undefined) this.facts = withCreatedLv(this.facts, lv);
  }

  /** LVM changed in a way not followed here (another command of ours, or one that failed): read again next time. */
  invalidate(): void {
    this.generation++;
    this.facts = undefined;
  }

  private async load(): Promise<LvmFacts> {
    const generation = this.generation;
    const startedAt = this.now();
    const facts = await this.read();
    if (generation === this.generation) {
      this.facts = facts;
      this.readAt = startedAt;
    }
    return facts;
  }
}
