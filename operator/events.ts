import { API_GROUP_VERSION } from '../api/group.js';
import type { Condition, OpenLocalCluster } from '../api/generated/types.js';
import type { KubeApi } from '../lib/kube-api.js';
import type { Logger } from '../lib/log.js';
import { ABNORMAL_WHEN_TRUE } from './status/conditions.js';

export interface ClusterEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** One event per condition whose status changed (and per phase change): what `kubectl describe` shows. */
export function transitionEvents(before: readonly Condition[] | undefined, after: readonly Condition[], phaseBefore: string | undefined, phaseAfter: string): ClusterEvent[] {
  const old = new Map((before ?? []).map((c) => [c.type, c]));
  const events: ClusterEvent[] = [];
  if (phaseBefore !== phaseAfter) {
    events.push({ type: phaseAfter === 'Degraded' ? 'Warning' : 'Normal', reason: `Phase${phaseAfter}`, message: `phase ${phaseBefore ?? '(none)'} → ${phaseAfter}` });
  }
  for (const c of after) {
    const o = old.get(c.type);
    if (o?.status === c.status && o.reason === c.reason) continue;
    const bad = ABNORMAL_WHEN_TRUE.has(c.type) ? c.status === 'True' : c.type !== 'Progressing' && c.status === 'False';
    events.push({ type: bad ? 'Warning' : 'Normal', reason: c.reason, message: `${c.type}=${c.status}: ${c.message}` });
  }
  return events;
}

/** Records events on the (cluster-scoped) OpenLocalCluster; they live in namespace default, as client-go does. */
export async function recordEvents(api: KubeApi, cluster: OpenLocalCluster, events: readonly ClusterEvent[], instance: string, log: Logger): Promise<void> {
  const now = new Date().toISOString();
  for (const e of events) {
    try {
      await api.request('POST', '/api/v1/namespaces/default/events', {
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { generateName: `${cluster.metadata?.name ?? 'open-local'}.`, namespace: 'default' },
          involvedObject: { apiVersion: API_GROUP_VERSION, kind: 'OpenLocalCluster', name: cluster.metadata?.name, uid: cluster.metadata?.uid },
          type: e.type,
          reason: e.reason,
          message: e.message.slice(0, 1024),
          source: { component: 'open-local-operator' },
          reportingComponent: 'open-local-operator',
          reportingInstance: instance,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      log.warn({ err, reason: e.reason }, 'could not record event');
    }
  }
}
