import { ApiObject, type Chart } from 'cdk8s';
import { API_GROUP_VERSION } from '../../api/group.js';
import { componentLabels, names } from '../names.js';
import type { ResolvedSpec } from '../resolved-spec.js';

/** The NodeLocalStorageInitConfig the NLS controller turns into one NodeLocalStorage spec per node. */
export function addInitConfig(chart: Chart, spec: ResolvedSpec): void {
  new ApiObject(chart, 'nlsc', {
    apiVersion: API_GROUP_VERSION,
    kind: 'NodeLocalStorageInitConfig',
    metadata: { name: names.nlsc, labels: componentLabels(names.controller, spec.name) },
    spec: {
      ...(spec.storage.globalConfig ? { globalConfig: spec.storage.globalConfig } : {}),
      ...(spec.storage.nodesConfig ? { nodesConfig: spec.storage.nodesConfig } : {}),
    },
  });
}
