/**
 * accessibility_requirements → node names. A local volume's topology is its node (`kubernetes.io/hostname`), the
 * only key NodeGetInfo reports, so external-provisioner sends only that key: with --strict-topology requisite =
 * preferred = the selected node; otherwise preferred starts with it.
 */
import { invalidArgument } from '../grpc/errors.js';
import type { Topology, TopologyRequirement } from '../grpc/messages.js';
import { TOPOLOGY_KEY } from '../volume-context.js';

export interface NodeRequirement {
  /** Nodes to try first, in order. */
  readonly preferred: readonly string[];
  /** Every node the volume may be on (preferred ones included); empty = any node. */
  readonly allowed: ReadonlySet<string>;
}

function nodeOf(field: string, topology: Topology): string {
  const keys = Object.keys(topology.segments);
  const other = keys.filter((k) => k !== TOPOLOGY_KEY);
  if (other.length > 0) throw invalidArgument(`${field}: topology key${other.length > 1 ? 's' : ''} ${other.map((k) => JSON.stringify(k)).join(', ')} unknown: a local volume's topology is ${TOPOLOGY_KEY} only`);
  const node = topology.segments[TOPOLOGY_KEY];
  if (!node) throw invalidArgument(`${field}: ${TOPOLOGY_KEY} is missing or empty`);
  return node;
}

/** The nodes a CreateVolume may use; undefined when it gives no requirement (any node, chosen by the allocator). */
export function nodeRequirement(requirement: TopologyRequirement | null): NodeRequirement | undefined {
  if (!requirement || (requirement.requisite.length === 0 && requirement.preferred.length === 0)) return undefined;
  const requisite = requirement.requisite.map((t, i) => nodeOf(`accessibility_requirements.requisite[${i}]`, t));
  const preferred = requirement.preferred.map((t, i) => nodeOf(`accessibility_requirements.preferred[${i}]`, t));
  const allowed = new Set(requisite.length > 0 ? requisite : preferred);
  const outside = preferred.filter((n) => !allowed.has(n));
  if (outside.length > 0) throw invalidArgument(`accessibility_requirements: preferred node${outside.length > 1 ? 's' : ''} ${outside.map((n) => JSON.stringify(n)).join(', ')} not in requisite`);
  return { preferred: [...new Set(preferred)], allowed };
}

/** The topology answered for a volume on `node`. */
export const topologyOf = (node: string): Topology => ({ segments: { [TOPOLOGY_KEY]: node } });
