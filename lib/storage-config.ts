import { createHash } from 'node:crypto';
import type { GlobalConfig, LabelSelector, NodeConfig, ResourceToBeInited } from '../api/generated/types.js';

/** The storage config of one node: Open-Local's three blocks, each taken whole from one source. */
export type ResolvedNodeConfig = Pick<GlobalConfig, 'spdkConfig' | 'listConfig' | 'resourceToBeInited'>;

export interface StorageConfigSource {
  readonly globalConfig?: GlobalConfig;
  readonly nodesConfig?: readonly NodeConfig[];
}

/**
 * Open-Local's NodeLocalStorageInitConfig semantics: start from globalConfig; every nodesConfig entry whose
 * selector matches the node replaces all three blocks (even with empty ones), in order, so the last match wins.
 * There is no field-level merge.
 */
export function resolveNodeConfig(source: StorageConfigSource, nodeLabels: Readonly<Record<string, string>>): ResolvedNodeConfig {
  let config: ResolvedNodeConfig = pick(source.globalConfig ?? {});
  for (const entry of source.nodesConfig ?? []) {
    if (entry.selector !== undefined && selectorMatches(entry.selector, nodeLabels)) config = pick(entry);
  }
  return config;
}

function pick(c: GlobalConfig): ResolvedNodeConfig {
  return {
    ...(c.spdkConfig ? { spdkConfig: c.spdkConfig } : {}),
    ...(c.listConfig ? { listConfig: c.listConfig } : {}),
    ...(c.resourceToBeInited ? { resourceToBeInited: c.resourceToBeInited } : {}),
  };
}

/** metav1.LabelSelector matching: `{}` selects every node; every term must hold. */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/**
 * Identifies what prepare-vg must make true on a node (only resourceToBeInited: filters do not touch disks).
 * Canonical JSON (sorted keys), so equal configs hash equal whatever their key order.
 */
export function initConfigHash(init: ResourceToBeInited | undefined): string {
  return contentHash(init ?? {});
}

/** A short, stable hash of any JSON value (key order does not matter). */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
