/**
 * IDs of the volumes this controller deleted lately. A DeleteVolume repeated after the first one finished (the
 * sidecar's call timed out while the node was still removing the LV, and it called again) finds no LocalVolume but
 * still the PV: the provisioner deletes the PV only after an OK. That PV must not be taken for one Open-Local v0.7
 * made and adopted: the adoption record would wait for an LV that is gone, for ever if its node goes too. Bounded in
 * age and number, oldest first out; a restarted controller falls back to adoption, whose node answers NotFound.
 */
export class RecentIds {
  private readonly at = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly max: number;

  constructor(ttlMs = 60 * 60_000, max = 10_000) {
    this.ttlMs = ttlMs;
    this.max = max;
  }

  add(id: string, now = Date.now()): void {
    this.at.delete(id);
    this.at.set(id, now);
    this.evict(now);
  }

  has(id: string, now = Date.now()): boolean {
    this.evict(now);
    return this.at.has(id);
  }

  private evict(now: number): void {
    // A Map iterates in insertion order, and add() re-inserts: the first entry is the oldest.
    for (const [id, t] of this.at) {
      if (this.at.size <= this.max && now - t < this.ttlMs) break;
      this.at.delete(id);
    }
  }
}
