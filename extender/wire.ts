/**
 * kube-scheduler's extender wire format (k8s.io/kube-scheduler/extender/v1). Its Go types have no json tags, so
 * the scheduler sends PascalCase keys (`Pod`, `NodeNames`); Go decoders match keys case-insensitively, so
 * camelCase is accepted here too. Replies are PascalCase.
 * @see https://github.com/kubernetes/kube-scheduler/blob/master/extender/v1/types.go
 */
import type { Pod } from './allocator/kube-types.js';

export interface ExtenderArgs {
  readonly pod: Pod;
  readonly nodeNames: readonly string[];
}

export interface ExtenderFilterResult {
  NodeNames: string[];
  FailedNodes: Record<string, string>;
  FailedAndUnresolvableNodes: Record<string, string>;
  Error: string;
}

/**
 * kube-scheduler's HostPriorityList (`[{"Host":...,"Score":...}]`) as JSON text, written directly: at 5,000 nodes
 * an object per node only to be stringified cost as much as scoring them. A name JSON would escape (no node name
 * does: they are DNS subdomains, but the request may carry anything) goes through JSON.stringify.
 */
export function hostPriorityListJson(hosts: readonly string[], scores: readonly number[]): string {
  let json = '[';
  for (let i = 0; i < hosts.length; i++) {
    const host = hosts[i] ?? '';
    json += `${i === 0 ? '' : ','}{"Host":${PLAIN_NAME.test(host) ? `"${host}"` : JSON.stringify(host)},"Score":${String(scores[i] ?? 0)}}`;
  }
  return `${json}]`;
}

/** Characters that JSON strings carry as they are. */
const PLAIN_NAME = /^[\w.:-]*$/;

/** A request the extender refuses, with the message the 400 answer carries. */
export class BadRequest extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = 'BadRequest';
    this.status = status;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads ExtenderArgs from a request body; throws BadRequest saying what is wrong. */
export function parseExtenderArgs(body: string): ExtenderArgs {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw new BadRequest(`body is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(value)) throw new BadRequest('body must be a JSON object (ExtenderArgs)');
  const pod = value.Pod ?? value.pod;
  const names = value.NodeNames ?? value.nodeNames;
  if (!isObject(pod) || !isObject(pod.metadata) || typeof pod.metadata.name !== 'string') throw new BadRequest('ExtenderArgs.Pod is missing or has no metadata.name');
  const { namespace, uid } = pod.metadata;
  if ((namespace !== undefined && typeof namespace !== 'string') || (uid !== undefined && typeof uid !== 'string')) throw new BadRequest('ExtenderArgs.Pod.metadata.namespace and .uid must be strings');
  checkVolumes(pod.spec);
  if (names === undefined || names === null) {
    const nodes = value.Nodes ?? value.nodes;
    throw new BadRequest(nodes === undefined || nodes === null ? 'ExtenderArgs.NodeNames is missing' : 'ExtenderArgs carries Nodes, not NodeNames: configure this extender with nodeCacheCapable: true');
  }
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new BadRequest('ExtenderArgs.NodeNames must be a list of node names');
  return { pod, nodeNames: names };
}

/** The allocator reads pod volumes without further checks: every field it reads must have its type. */
function checkVolumes(spec: unknown): void {
  if (spec === undefined) return;
  if (!isObject(spec)) throw new BadRequest('ExtenderArgs.Pod.spec must be an object');
  if (spec.volumes === undefined || spec.volumes === null) return;
  if (!Array.isArray(spec.volumes)) throw new BadRequest('ExtenderArgs.Pod.spec.volumes must be a list');
  spec.volumes.forEach((v: unknown, i) => {
    const where = `ExtenderArgs.Pod.spec.volumes[${i}]`;
    if (!isObject(v) || typeof v.name !== 'string') throw new BadRequest(`${where} must be an object with a name`);
    if (v.persistentVolumeClaim !== undefined && (!isObject(v.persistentVolumeClaim) || typeof v.persistentVolumeClaim.claimName !== 'string')) throw new BadRequest(`${where}.persistentVolumeClaim.claimName must be a string`);
    if (v.csi !== undefined) {
      const csi = v.csi;
      if (!isObject(csi) || typeof csi.driver !== 'string') throw new BadRequest(`${where}.csi.driver must be a string`);
      const attrs = csi.volumeAttributes;
      if (attrs !== undefined && (!isObject(attrs) || !Object.values(attrs).every((a) => typeof a === 'string'))) throw new BadRequest(`${where}.csi.volumeAttributes must map names to strings`);
    }
  });
}
