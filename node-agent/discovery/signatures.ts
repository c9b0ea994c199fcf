/**
 * Signature probes of the devices that passed the cheap checks (device-use.ts), with a cache: re-probing every
 * candidate disk on every pass would read each one every interval on every node.
 *
 * The cache key is the device's write stamp (sysfs.ts: its size, diskseq and the write and discard counters of its
 * `stat`). Writing a signature goes through the block layer and moves those counters, so an unchanged stamp means
 * unchanged content. What the counters cannot see (another host writing a shared LUN, SCSI or NVMe passthrough that
 * bypasses the block layer) is caught by the age limit: an entry is used for at most `maxAgeMs`. Failed probes are
 * never cached; a device without a stamp is probed every time.
 */
import type { Exec } from '../../lib/exec.js';
import { parseWipefs, WIPEFS_PROBE_ARGV } from '../prepare-vg/block-tools.js';
import type { SignatureProbe } from './device-use.js';
import type { BlockDevice } from './sysfs.js';

export type SignatureProber = (path: string) => Promise<SignatureProbe>;

const PROBE_TIMEOUT_MS = 15_000;

/** `wipefs --no-act --json PATH` on the host: reads the signatures from the disk itself, writes nothing. */
export function wipefsProber(exec: Exec): SignatureProber {
  return async (path) => {
    try {
      return { signatures: parseWipefs((await exec.run([...WIPEFS_PROBE_ARGV, '--', path], { timeoutMs: PROBE_TIMEOUT_MS })).stdout) };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  };
}

export interface SignatureCacheOptions {
  /** @default 10 minutes */
  readonly maxAgeMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

interface Entry {
  readonly stamp: string;
  readonly at: number;
  readonly probe: SignatureProbe;
}

export class SignatureCache {
  private readonly probe: SignatureProber;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private entries = new Map<string, Entry>();

  constructor(probe: SignatureProber, options: SignatureCacheOptions = {}) {
    this.probe = probe;
    this.maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** One probe per device, in order (one disk read at a time); forgets devices that are no longer candidates. */
  async probeAll(devices: readonly BlockDevice[]): Promise<Map<string, SignatureProbe>> {
    const out = new Map<string, SignatureProbe>();
    const next = new Map<string, Entry>();
    for (const d of devices) {
      const cached = this.entries.get(d.name);
      const fresh = cached !== undefined && d.writeStamp !== undefined && cached.stamp === d.writeStamp && this.now() - cached.at < this.maxAgeMs;
      const entry = fresh ? cached : { stamp: d.writeStamp ?? '', at: this.now(), probe: await this.probe(d.name) };
      out.set(d.name, entry.probe);
      if (d.writeStamp !== undefined && !('error' in entry.probe)) next.set(d.name, entry);
    }
    this.entries = next;
    return out;
  }
}
