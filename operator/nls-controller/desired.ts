import type { NodeLocalStorage, NodeLocalStorageInitConfig, NodeLocalStorageSpec } from '../../api/generated/types.js';
import { canonicalJson, resolveNodeConfig } from '../../lib/storage-config.js';

export interface NodeInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A node's NodeLocalStorage spec from the init config: Open-Local's whole-block, last-match-wins merge. */
export function desiredNlsSpec(nlsc: NodeLocalStorageInitConfig | undefined, node: NodeInfo): NodeLocalStorageSpec {
  return { nodeName: node.name, ...resolveNodeConfig(nlsc?.spec ?? {}, node.labels) };
}

export type NlsAction =
  | { readonly type: 'create'; readonly node: string; readonly spec: NodeLocalStorageSpec }
  | { readonly type: 'update'; readonly node: string; readonly spec: NodeLocalStorageSpec }
  | { readonly type: 'delete'; readonly node: string };

/**
 * What to do for one node: create its NodeLocalStorage when missing, bring the spec back to the init config
 * when it differs (Open-Local's UpdateNLS feature gate: manual spec edits are reverted), delete it when the
 * node is gone. Status is never touched: it belongs to the node's agent. Without the init config (not created
 * yet, or being replaced) nothing is created or rewritten: an absent config would empty every node's spec.
 */
export function decideNls(node: NodeInfo | undefined, nodeName: string, nls: NodeLocalStorage | undefined, nlsc: NodeLocalStorageInitConfig | undefined, updateNls: boolean): NlsAction | undefined {
  if (!node) return nls && !nls.metadata?.deletionTimestamp ? { type: 'delete', node: nodeName } : undefined;
  if (!nlsc) return undefined;
  const spec = desiredNlsSpec(nlsc, node);
  if (!nls) return { type: 'create', node: nodeName, spec };
  if (updateNls && canonicalJson(nls.spec ?? {}) !== canonicalJson(spec)) return { type: 'update', node: nodeName, spec };
  return undefined;
}
