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
 * kube-scheduler's HostPriorityList (`[{"Host":...,"Score":...}]`) as JSON bytes, written straight into one buffer:
 * at 5,000 nodes an object per node only to be stringified cost as much as scoring them, and building the text by
 * concatenation left two strings per node as garbage. A name JSON would escape (no node name does: they are DNS
 * subdomains, but the request may carry anything) goes through JSON.stringify.
 */
export function hostPriorityListJson(hosts: readonly string[], scores: readonly number[]): Buffer {
  const escaped = new Map<number, string>();
  let size = 2;
  for (let i = 0; i < hosts.length; i++) {
    const host = hosts[i] ?? '';
    const score = scores[i] ?? 0;
    let bytes = host.length;
    if (!isPlain(host)) {
      const text = JSON.stringify(host).slice(1, -1);
      escaped.set(i, text);
      bytes = Buffer.byteLength(text);
    }
    size += ENTRY_BYTES + bytes + (isDigit(score) ? 1 : String(score).length);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  out[at++] = 0x5b; // [
  for (let i = 0; i < hosts.length; i++) {
    if (i > 0) out[at++] = 0x2c; // ,
    at += HOST_KEY.copy(out, at);
    const text = escaped.get(i);
    if (text === undefined) {
      const host = hosts[i] ?? '';
      for (let k = 0; k < host.length; k++) out[at++] = host.charCodeAt(k);
    } else {
      at += out.write(text, at);
    }
    at += SCORE_KEY.copy(out, at);
    const score = scores[i] ?? 0;
    if (isDigit(score)) out[at++] = 0x30 + score;
    else at += out.write(String(score), at, 'latin1');
    out[at++] = 0x7d; // }
  }
  out[at++] = 0x5d; // ]
  return out.subarray(0, at);
}

const HOST_KEY = Buffer.from('{"Host":"');
const SCORE_KEY = Buffer.from('","Score":');
/** `{"Host":"` + `","Score":` + `}` + a comma. */
const ENTRY_BYTES = HOST_KEY.length + SCORE_KEY.length + 2;
const isDigit = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 9;

/** Whether JSON carries the name as it is, in one byte per character (letters, digits, `.`, `-`, `_`, `:`). */
function isPlain(name: string): boolean {
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (!((c >= 0x30 && c <= 0x3a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2e || c === 0x5f)) return false;
  }
  return true;
}

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
