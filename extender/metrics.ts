import { Gauge, Histogram, type Registry } from 'prom-client';
import type { ClusterState } from './state/cluster-state.js';

export interface ExtenderMetrics {
  /** One served request: route (`predicates`, `priorities`, ...), HTTP status, duration. */
  observe(route: string, status: number, seconds: number): void;
  /** Whether a resource's informer has listed once. */
  setSynced(resource: string, synced: boolean): void;
}

/**
 * Open-Local's `local_*` gauges (same names and labels, computed from the state at scrape time, so they cost
 * nothing between scrapes), plus request latency and cache-sync state. Unlike Open-Local, `*_available` is the
 * capacity only while the device or mount point is free, and `local_inline_volume` has no volume_name label.
 */
export function extenderMetrics(registry: Registry, state: ClusterState): ExtenderMetrics {
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], collect: (g: Gauge<L>) => void) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        collect(this);
      },
    });
  gauge('local_volume_group_total', 'Allocatable bytes of a volume group', ['nodename', 'vgname'], (g) => {
    for (const node of state.nodes()) for (const vg of state.storage(node)?.vgs ?? []) g.set({ nodename: node, vgname: vg.name }, vg.capacity);
  });
  gauge('local_volume_group_used', 'Bytes of a volume group used by open-local volumes', ['nodename', 'vgname'], (g) => {
    for (const node of state.nodes()) {
      const used = state.usageIndex.vgUsed(node);
      for (const vg of state.storage(node)?.vgs ?? []) g.set({ nodename: node, vgname: vg.name }, used.get(vg.name) ?? 0);
    }
  });
  for (const [prefix, pick] of [['device', 'devices'], ['mount_point', 'mountPoints']] as const) {
    const each = (fn: (node: string, r: { name: string; capacity: number; mediaType: string }, taken: boolean) => void) => {
      for (const node of state.nodes()) {
        const taken = state.usageIndex.taken(node);
        for (const r of state.storage(node)?.[pick] ?? []) fn(node, r, taken.has(r.name));
      }
    };
    gauge(`local_${prefix}_total`, `Capacity of a ${prefix.replace('_', ' ')}`, ['nodename', 'name', 'type'], (g) => {
      each((node, r) => { g.set({ nodename: node, name: r.name, type: r.mediaType }, r.capacity); });
    });
    gauge(`local_${prefix}_available`, `Capacity of a free ${prefix.replace('_', ' ')}, 0 when taken`, ['nodename', 'name', 'type'], (g) => {
      each((node, r, taken) => { g.set({ nodename: node, name: r.name, type: r.mediaType }, taken ? 0 : r.capacity); });
    });
    gauge(`local_${prefix}_bind`, `1 if a volume holds the ${prefix.replace('_', ' ')}`, ['nodename', 'name'], (g) => {
      each((node, r, taken) => { g.set({ nodename: node, name: r.name }, taken ? 1 : 0); });
    });
  }
  gauge('local_allocated_num', 'Open-local volumes on a node', ['nodename'], (g) => {
    for (const node of state.nodes()) g.set({ nodename: node }, state.usageIndex.volumeCount(node));
  });
  gauge('local_local_pv', 'Bytes of an open-local volume', ['nodename', 'pv_name', 'pv_type', 'pvc_name', 'pvc_ns', 'status', 'storage_name'], (g) => {
    for (const [name, use] of state.usageIndex.volumes()) {
      const pv = state.pv(name);
      if (!pv) continue;
      const claim = pv.spec?.claimRef;
      g.set({ nodename: use.node, pv_name: name, pv_type: use.kind, pvc_name: claim?.name ?? '', pvc_ns: claim?.namespace ?? '', status: pv.status?.phase ?? '', storage_name: use.vgName ?? use.resource ?? '' }, use.size);
    }
  });
  gauge('local_inline_volume', 'Bytes of the inline volumes of a pod', ['pod_name', 'pod_namespace', 'nodename', 'vgname'], (g) => {
    for (const [name, use] of state.usageIndex.volumes()) {
      if (state.pv(name) || !name.includes('/')) continue;
      const [podNamespace = '', podName = ''] = name.split('/');
      const labels = { pod_name: podName, pod_namespace: podNamespace, nodename: use.node, vgname: use.vgName ?? '' };
      g.inc(labels, use.size);
    }
  });
  const latency = new Histogram({
    name: 'open_local_extender_request_duration_seconds',
    help: 'Time to answer an extender request, by route and HTTP status',
    labelNames: ['route', 'code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const synced = new Gauge({ name: 'open_local_extender_cache_synced', help: '1 once the informer of a resource has listed', labelNames: ['resource'] as const, registers: [registry] });
  return {
    observe: (route, status, seconds) => {
      latency.observe({ route, code: String(status) }, seconds);
    },
    setSynced: (resource, value) => {
      synced.set({ resource }, value ? 1 : 0);
    },
  };
}
