/**
 * The node agent's loop: watch this node's NodeLocalStorage, discover storage every interval (and at once when the
 * spec or the storage-reserved annotation changes, or when one of the node's LocalVolumes was just created, resized
 * or removed), auto-extend snapshot LVs, and write the status subresource only when it differs from the stored one
 * other than in timestamps.
 *
 * Writing only on change keeps a steady node at zero API writes: with thousands of nodes a per-minute heartbeat
 * would be thousands of NLS updates a minute, each fanned out to every NLS watcher (extender, controller). The cost
 * is that `lastHeartbeatTime` means "last change"; agent liveness is the DaemonSet pod's readiness (/readyz).
 *
 * The agent never creates its NodeLocalStorage: the NLS controller does, with the spec. Until then it waits.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { API_GROUP_VERSION } from '../api/group.js';
import type { NodeLocalStorage } from '../api/generated/types.js';
import { Informer } from '../lib/informer.js';
import { isNotFound, type KubeApi } from '../lib/kube-api.js';
import type { Logger } from '../lib/log.js';
import { canonicalJson } from '../lib/storage-config.js';
import type { Discovery, DiscoverySource } from './discovery/source.js';
import { STORAGE_RESERVED_ANNOTATION } from './reserved.js';
import { extendSnapshots, type SnapshotExtenderOptions } from './snapshots.js';
import { computeStatus, stampStatus, statusNeedsWrite } from './status.js';
import { watchVolumeChanges, type VolumeChanges } from './volume-changes.js';

export const FIELD_MANAGER = 'open-local-agent';

/**
 * LocalVolume changes come in bursts (a StatefulSet's claims, a provisioner's batch): they start one pass once the
 * burst has been quiet this long, and at the latest VOLUME_PASS_MAX_DELAY_MS after its first change, rather than a
 * pass per change. A pass runs lvm2's reports under the VG's lock, beside the node plugin's lvcreate of the next
 * volume (under UML a pass per change made each lvcreate of a 50-volume burst wait for one). Scheduling does not wait
 * on these passes: the extender counts open-local's volumes from their PVs and LocalVolumes itself; they keep the
 * NodeLocalStorage's free space and LV list current, and a snapshot's share of `allocatable`.
 */
export const VOLUME_PASS_SETTLE_MS = 1_000;
export const VOLUME_PASS_MAX_DELAY_MS = 10_000;

export interface AgentOptions {
  readonly nodeName: string;
  readonly api: KubeApi;
  readonly discovery: DiscoverySource;
  /** Open-Local's --path.mount. */
  readonly mountRoot: string;
  /** Time between passes when nothing triggers one. */
  readonly intervalMs: number;
  /** With the node in its context (startAgent adds it). */
  readonly log: Logger;
  readonly registry: Registry;
  /** Snapshot auto-extension; undefined turns it off. */
  readonly snapshots?: Omit<SnapshotExtenderOptions, 'log' | 'onExtend'>;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

interface AgentMetrics {
  readonly passes: Counter<'result'>;
  readonly discovery: Histogram<'result'>;
  readonly writes: Counter<'result'>;
  readonly unchanged: Counter;
  readonly snapshotExtends: Counter<'result'>;
}

function createMetrics(registry: Registry): AgentMetrics {
  return {
    passes: new Counter({ name: 'open_local_agent_passes_total', help: 'Completed agent passes: ok, error, or waiting (no NodeLocalStorage yet)', labelNames: ['result'] as const, registers: [registry] }),
    discovery: new Histogram({ name: 'open_local_agent_discovery_duration_seconds', help: 'Time to discover devices, LVM and mounts', labelNames: ['result'] as const, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] }),
    writes: new Counter({ name: 'open_local_agent_status_writes_total', help: 'NodeLocalStorage status writes, by result', labelNames: ['result'] as const, registers: [registry] }),
    unchanged: new Counter({ name: 'open_local_agent_status_unchanged_total', help: 'Passes that found the status unchanged and wrote nothing', registers: [registry] }),
    snapshotExtends: new Counter({ name: 'open_local_agent_snapshot_extends_total', help: 'lvextend runs on snapshot LVs, by result', labelNames: ['result'] as const, registers: [registry] }),
  };
}

/** What makes a pass run at once: the spec and the reservation annotation (not status, not other metadata). */
export const triggerKey = (nls: NodeLocalStorage): string =>
  canonicalJson({ uid: nls.metadata?.uid, spec: nls.spec, reserved: nls.metadata?.annotations?.[STORAGE_RESERVED_ANNOTATION] });

export class Agent {
  private readonly options: AgentOptions;
  private readonly log: Logger;
  private readonly metrics: AgentMetrics;
  private readonly informer: Informer<NodeLocalStorage>;
  private readonly volumes: VolumeChanges;
  /** The newest NLS we know: from the watch, or from our own write's response. */
  private latest: NodeLocalStorage | undefined;
  private lastTriggerKey: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The pass a burst of volume changes is waiting for, and when the burst began (performance.now()). */
  private volumeTimer: NodeJS.Timeout | undefined;
  private volumeBurstStart: number | undefined;
  private running: Promise<void> | undefined;
  private pending = false;
  private stopped = false;
  private lastPassOk = true;
  private waitingLogged = false;

  constructor(options: AgentOptions) {
    this.options = options;
    this.log = options.log;
    this.metrics = createMetrics(options.registry);
    this.informer = new Informer<NodeLocalStorage>(options.api, { apiVersion: API_GROUP_VERSION, kind: 'NodeLocalStorage', fieldSelector: `metadata.name=${options.nodeName}` }, this.log);
    this.informer.onEvent((event, obj) => {
      if (obj.metadata?.name !== options.nodeName) return;
      if (event === 'delete') {
        this.latest = undefined;
        this.lastTriggerKey = undefined;
        return;
      }
      this.latest = obj;
      const key = triggerKey(obj);
      if (key !== this.lastTriggerKey) {
        this.lastTriggerKey = key;
        this.trigger(event === 'add' ? 'NodeLocalStorage appeared' : 'spec or storage-reserved annotation changed');
      }
    });
    // Before the NodeLocalStorage cache has listed, the first pass ('start') is still to come.
    this.volumes = watchVolumeChanges(options.api, options.nodeName, this.log, (why) => {
      if (this.informer.hasSynced) this.volumeChanged(why);
    });
  }

  /** Ready once the watch has listed and while the last pass succeeded. */
  get ready(): boolean {
    return this.informer.hasSynced && this.lastPassOk;
  }

  /** The first pass waits for the NodeLocalStorage cache: an unsynced (empty) cache would read as "not created yet". */
  async start(): Promise<void> {
    await this.informer.start();
    await this.volumes.start();
    void this.informer.synced.then(() => {
      this.trigger('start');
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.volumeTimer) clearTimeout(this.volumeTimer);
    await this.running;
    await this.informer.stop();
    await this.volumes.stop();
  }

  /** A pass once the burst this change belongs to has settled (see VOLUME_PASS_SETTLE_MS). */
  private volumeChanged(why: string): void {
    if (this.stopped) return;
    const now = performance.now();
    this.volumeBurstStart ??= now;
    const delay = Math.max(0, Math.min(VOLUME_PASS_SETTLE_MS, this.volumeBurstStart + VOLUME_PASS_MAX_DELAY_MS - now));
    this.log.debug({ why, delayMs: Math.round(delay) }, 'volume changed');
    if (this.volumeTimer) clearTimeout(this.volumeTimer);
    this.volumeTimer = setTimeout(() => {
      this.volumeTimer = undefined;
      this.volumeBurstStart = undefined;
      this.trigger(why);
    }, delay);
  }

  private trigger(why: string): void {
    if (this.stopped) return;
    this.pending = true;
    this.log.debug({ why }, 'pass requested');
    if (this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (!this.stopped) this.timer = setTimeout(() => { this.trigger('interval'); }, this.options.intervalMs);
    });
  }

  private async loop(): Promise<void> {
    while (this.pending && !this.stopped) {
      this.pending = false;
      try {
        this.metrics.passes.inc({ result: await this.pass() });
        this.lastPassOk = true;
      } catch (err) {
        this.metrics.passes.inc({ result: 'error' });
        this.lastPassOk = false;
        this.log.error({ err }, 'pass failed; status left as it was');
      }
    }
  }

  private async discover(nls: NodeLocalStorage): Promise<Discovery> {
    const init = nls.spec?.resourceToBeInited;
    const specDevices = [...(init?.vgs ?? []).flatMap((vg) => vg.devices), ...(init?.mountpoints ?? []).map((m) => m.device)];
    const end = this.metrics.discovery.startTimer();
    try {
      const d = await this.options.discovery.discover(specDevices);
      end({ result: 'ok' });
      return d;
    } catch (err) {
      end({ result: 'error' });
      throw err;
    }
  }

  private async pass(): Promise<'ok' | 'waiting'> {
    const nls = this.latest;
    if (!nls) {
      if (!this.waitingLogged) this.log.info('waiting for the NLS controller to create this node\'s NodeLocalStorage');
      this.waitingLogged = true;
      return 'waiting';
    }
    this.waitingLogged = false;
    let discovery = await this.discover(nls);
    if (this.options.snapshots) {
      const grown = await extendSnapshots(discovery.lvm.lvs, {
        ...this.options.snapshots,
        log: this.log,
        onExtend: (ok) => {
          this.metrics.snapshotExtends.inc({ result: ok ? 'ok' : 'error' });
        },
      });
      if (grown > 0) discovery = await this.discover(nls);
    }
    const desired = computeStatus({ spec: nls.spec, annotations: nls.metadata?.annotations, discovery, mountRoot: this.options.mountRoot });
    if (!statusNeedsWrite(nls.status, desired)) {
      this.metrics.unchanged.inc();
      return 'ok';
    }
    const status = stampStatus(desired, nls.status, (this.options.now ?? (() => new Date()))());
    try {
      const written = await this.options.api.apply<NodeLocalStorage>(
        { apiVersion: API_GROUP_VERSION, kind: 'NodeLocalStorage', metadata: { name: this.options.nodeName }, status },
        FIELD_MANAGER,
        { force: true, subresource: 'status' },
      );
      this.metrics.writes.inc({ result: 'ok' });
      // Only if nothing newer arrived meanwhile (a delete or a spec change would have replaced `latest`).
      if (this.latest === nls) this.latest = written;
      this.log.info({ state: status.nodeStorageInfo?.state?.type, reason: status.nodeStorageInfo?.state?.reason }, 'wrote NodeLocalStorage status');
      return 'ok';
    } catch (err) {
      this.metrics.writes.inc({ result: 'error' });
      if (isNotFound(err)) {
        this.log.info('NodeLocalStorage was deleted; waiting for a new one');
        return 'waiting';
      }
      throw err;
    }
  }
}
