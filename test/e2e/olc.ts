// The OpenLocalCluster as scenarios read it (`kubectl get -o json`), and waiting on it. A wait that times out says
// what the cluster said last (phase and conditions): "timed out waiting for Ready" alone does not tell which node or
// component held it back, and the failure list at the end of a run is often all of the run's output one gets to see.
import type { OpenLocalClusterStatus } from '../../api/generated/types.js';
import { CLUSTER_NAME, type E2eCluster } from './cluster.js';
import { waitFor } from './support.js';

export type Condition = NonNullable<OpenLocalClusterStatus['conditions']>[number];
export type Olc = { metadata: { generation: number }; spec: { extender?: { strategy?: string } }; status?: OpenLocalClusterStatus };

/** The cluster's OpenLocalCluster, or undefined once it is gone. */
export async function getOlc(c: E2eCluster): Promise<Olc | undefined> {
  const out = await c.kubectl(['get', 'openlocalcluster', CLUSTER_NAME, '--ignore-not-found', '-o', 'json']);
  return out.trim() ? (JSON.parse(out) as Olc) : undefined;
}

export const condition = (o: Olc | undefined, type: string): Condition | undefined => o?.status?.conditions?.find((x) => x.type === type);

/** Phase, node counts and every condition that is not as a settled, healthy cluster has it: one line. */
export function describeOlc(o: Olc | undefined): string {
  if (!o) return 'the OpenLocalCluster does not exist';
  const healthy: Record<string, string> = { Ready: 'True', Progressing: 'False', Degraded: 'False', NodesPrepared: 'True', ComponentsAvailable: 'True' };
  const odd = (o.status?.conditions ?? []).filter((x) => healthy[x.type] !== undefined && x.status !== healthy[x.type]);
  const counts = o.status?.nodeCounts ? `, nodes ${o.status.nodeCounts.ready ?? 0}/${o.status.nodeCounts.total ?? 0} ready` : '';
  const stale = (o.status?.observedGeneration ?? 0) < o.metadata.generation ? `, status of generation ${o.status?.observedGeneration ?? 0} < ${o.metadata.generation}` : '';
  const conditions = odd.map((x) => `${x.type}=${x.status} ${x.reason}: ${x.message}`).join('; ');
  return `phase ${o.status?.phase ?? 'none'}${counts}${stale}${conditions ? `; ${conditions}` : ''}`;
}

/** Waits until `accept` holds for the OpenLocalCluster; the timeout's message ends with the cluster's last state. */
export function waitForOlc(c: E2eCluster, what: string, accept: (o: Olc) => boolean, timeoutMs: number): Promise<Olc> {
  return waitFor(what, async () => {
    const o = await getOlc(c);
    if (o && accept(o)) return o;
    throw new Error(`last seen: ${describeOlc(o)}`);
  }, timeoutMs, 2000);
}

/** Ready=True; with `now`, for the spec as it is now (a Ready of an earlier generation proves nothing about a change). */
export function isReady(o: Olc, now = false): boolean {
  const ready = condition(o, 'Ready');
  return ready?.status === 'True' && (!now || ready.observedGeneration === o.metadata.generation);
}
