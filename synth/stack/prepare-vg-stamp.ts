import { App, Chart } from 'cdk8s';
import type { ResourceToBeInited } from '../../api/generated/types.js';
import { canonicalJson, initConfigHash, resolveNodeConfig } from '../../lib/storage-config.js';
import type { KubeObject } from '../render.js';
import type { ResolvedSpec } from '../resolved-spec.js';
import { addPrepareVgJob, prepareVgJobName, type PrepareVgMode } from './prepare-vg-job.js';

/**
 * The per-node part of a prepare-VG Job (the node's name, its Job name, its config and the config's hash) stamped
 * into one rendering of the Job per spec and mode. Rendering a Job is a cdk8s App (and, through renderPrepareVgJob,
 * a full validation of the cluster): milliseconds each, a thousand nodes' worth in seconds on the operator's
 * single thread. The stamped Job is exactly what addPrepareVgJob renders for that node (test/unit/synth).
 *
 * The template is rendered by addPrepareVgJob itself with sentinel values, and every string holding one is recorded
 * as a slot; a string that holds a sentinel in a way a stamp could not reproduce (a hash or name inside a longer
 * string, the node's name in a key) fails here, at the first rendering, not in a Job.
 */
export class PrepareVgJobTemplate {
  private readonly template: KubeObject;
  private readonly slots: readonly Slot[];
  private readonly spec: ResolvedSpec;
  private readonly mode: PrepareVgMode;

  constructor(spec: ResolvedSpec, mode: PrepareVgMode = 'prepare') {
    this.spec = spec;
    this.mode = mode;
    const app = new App();
    const chart = new Chart(app, 'open-local', { disableResourceNameHashes: true });
    addPrepareVgJob(chart, spec, SENTINEL_NODE, SENTINEL_INIT, mode);
    const [job] = chart.toJson() as KubeObject[];
    if (!job) throw new Error('prepare-VG Job template did not render');
    this.template = job;
    this.slots = findSlots(job, { node: SENTINEL_NODE, jobName: prepareVgJobName(SENTINEL_NODE, mode), init: canonicalJson(SENTINEL_INIT), hash: initConfigHash(SENTINEL_INIT) });
  }

  /** The Job for one node, given the labels that select its config (as renderPrepareVgJob renders it). */
  job(nodeName: string, nodeLabels: Readonly<Record<string, string>>): KubeObject {
    const init = resolveNodeConfig(this.spec.storage, nodeLabels).resourceToBeInited;
    return this.stamp(nodeName, init);
  }

  private stamp(nodeName: string, init: ResourceToBeInited | undefined): KubeObject {
    const values: Values = { node: nodeName, jobName: prepareVgJobName(nodeName, this.mode), init: canonicalJson(init ?? {}), hash: initConfigHash(init) };
    const job = structuredClone(this.template) as unknown as Record<string | number, unknown>;
    for (const slot of this.slots) {
      let parent = job;
      for (const key of slot.path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
      parent[slot.path.at(-1) ?? ''] = slot.fill(values);
    }
    return job as unknown as KubeObject;
  }
}

interface Values {
  readonly node: string;
  readonly jobName: string;
  readonly init: string;
  readonly hash: string;
}

interface Slot {
  readonly path: readonly (string | number)[];
  readonly fill: (v: Values) => string;
}

/** Lower-case DNS-1123, so the Job name keeps it whole; no real node is named so. */
const SENTINEL_NODE = 'open-local-stamp-sentinel-node';
/** Never applied or validated: only its canonical JSON and hash are looked for in the rendering. */
const SENTINEL_INIT = { vgs: [{ name: 'open-local-stamp-sentinel-vg', devices: [] }] } as unknown as ResourceToBeInited;

function findSlots(template: unknown, sentinel: Values): Slot[] {
  const slots: Slot[] = [];
  const walk = (value: unknown, path: (string | number)[]): void => {
    if (typeof value === 'string') {
      if (value === sentinel.jobName) slots.push({ path, fill: (v) => v.jobName });
      else if (value === sentinel.init) slots.push({ path, fill: (v) => v.init });
      else if (value === sentinel.hash) slots.push({ path, fill: (v) => v.hash });
      else if (value.includes(sentinel.jobName) || value.includes(sentinel.init) || value.includes(sentinel.hash)) {
        throw new Error(`prepare-VG Job template: ${path.join('.')} holds a per-node value inside a longer string ("${value}"); stamping cannot reproduce it`);
      } else if (value.includes(sentinel.node)) {
        const parts = value.split(sentinel.node);
        slots.push({ path, fill: (v) => parts.join(v.node) });
      }
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => { walk(v, [...path, i]); });
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if ([sentinel.node, sentinel.init, sentinel.hash].some((s) => k.includes(s))) throw new Error(`prepare-VG Job template: the key ${[...path, k].join('.')} holds a per-node value; stamping cannot reproduce it`);
        walk(v, [...path, k]);
      }
    }
  };
  walk(template, []);
  return slots;
}
