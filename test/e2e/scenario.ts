// The hooks every scenario has: the suite's one cluster and a namespace of the scenario's own, made fresh before it
// (an old one from an aborted run is deleted first) and deleted after it, waiting until the PVs of its claims are
// gone, so the next scenario starts from the space this one found. `tearDown` then puts back whatever else the
// scenario changed (a strategy, the OpenLocalCluster itself).
import type { E2eCluster } from './cluster.js';
import { e2eCluster } from './cluster.js';
import { volumesOfNamespaceGone } from './storage.js';

export interface ScenarioHooks {
  /** After the namespace exists. */
  readonly setUp?: (c: E2eCluster) => Promise<void>;
  /** After the namespace and its volumes are gone (or waiting for that failed); runs only if the namespace was made. */
  readonly tearDown?: (c: E2eCluster) => Promise<void>;
}

/**
 * Registers the scenario's before/after hooks and returns its cluster: an object that stands for the cluster
 * once `before` has run (reading it earlier is a mistake in the scenario and says so).
 */
export function useScenario(namespace: string, hooks: ScenarioHooks = {}): E2eCluster {
  let cluster: E2eCluster | undefined;
  let made = false;
  before(async function () {
    this.timeout(1_200_000);
    const c = await e2eCluster();
    cluster = c;
    await deleteNamespace(c, namespace);
    await c.kubectl(['create', 'namespace', namespace]);
    made = true;
    await hooks.setUp?.(c);
  });
  after(async function () {
    this.timeout(900_000);
    if (!cluster || !made) return; // before() failed ahead of making anything
    try {
      await deleteNamespace(cluster, namespace);
      await volumesOfNamespaceGone(cluster, namespace);
    } finally {
      await hooks.tearDown?.(cluster);
    }
  });
  return new Proxy({} as E2eCluster, {
    get(_, key) {
      if (!cluster) throw new Error(`scenario ${namespace}: the cluster is read before its before() hook ran`);
      return cluster[key as keyof E2eCluster];
    },
  });
}

async function deleteNamespace(c: E2eCluster, name: string): Promise<void> {
  await c.kubectl(['delete', 'namespace', name, '--ignore-not-found', '--wait=true', '--timeout=240s'], { timeoutMs: 260_000 });
}
