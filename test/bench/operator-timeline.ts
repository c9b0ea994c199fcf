/**
 * Where the time from CR to Ready goes, node by node: the stages of each prepare-VG Job's pipeline, from the
 * objects left behind (Jobs, their pods) and the operator's own requests in kube-apiserver's audit log.
 *
 *   operator creates the Job → Job controller creates the pod → scheduler binds it → kwok ends it → Job
 *   controller marks the Job Complete → operator patches the Node (ready label and record)
 *
 * Pure: the bench (operator-scale.ts) gathers the inputs and prints the result.
 */

/** One audit event of the operator's (Metadata level), as kube-apiserver writes it. */
export interface AuditEvent {
  readonly verb?: string;
  readonly stage?: string;
  readonly user?: { readonly username?: string };
  readonly objectRef?: { readonly resource?: string; readonly name?: string; readonly namespace?: string; readonly subresource?: string };
  readonly requestReceivedTimestamp?: string;
  readonly responseStatus?: { readonly code?: number };
}

export interface TimelineJob {
  readonly metadata: { readonly name: string; readonly uid?: string; readonly annotations?: Readonly<Record<string, string>> };
  readonly status?: { readonly startTime?: string; readonly completionTime?: string };
}

export interface TimelinePod {
  readonly metadata: { readonly creationTimestamp?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly status?: {
    readonly conditions?: readonly { readonly type: string; readonly status: string; readonly lastTransitionTime?: string }[];
    readonly containerStatuses?: readonly { readonly name: string; readonly state?: { readonly terminated?: { readonly finishedAt?: string } } }[];
  };
}

/** Seconds from the CR's creation at which each node passed each stage (absent: never seen). */
export interface NodeTimeline {
  readonly node: string;
  readonly jobCreated?: number;
  readonly podCreated?: number;
  readonly podScheduled?: number;
  readonly podFinished?: number;
  readonly jobComplete?: number;
  readonly nodeMarked?: number;
}

const STAGES = ['jobCreated', 'podCreated', 'podScheduled', 'podFinished', 'jobComplete', 'nodeMarked'] as const;
type Stage = (typeof STAGES)[number];

const STAGE_LABELS: Record<Stage, string> = {
  jobCreated: 'operator created the Job',
  podCreated: 'Job controller created the pod',
  podScheduled: 'scheduler bound the pod',
  podFinished: 'kwok ended the pod',
  jobComplete: 'Job controller marked it Complete',
  nodeMarked: 'operator marked the Node ready',
};

const NODE_NAME_ANNOTATION = 'csi.aliyun.com/node-name';
const JOB_UID_LABELS = ['batch.kubernetes.io/controller-uid', 'controller-uid'];

/** Each prepared node's timeline, sorted by when its Job was created. */
export function nodeTimelines(input: { readonly start: number; readonly jobs: readonly TimelineJob[]; readonly pods: readonly TimelinePod[]; readonly audit: readonly AuditEvent[]; readonly user: string }): NodeTimeline[] {
  const at = (iso: string | undefined): number | undefined => (iso === undefined ? undefined : (Date.parse(iso) - input.start) / 1000);
  const jobCreated = new Map<string, number>();
  const nodeMarked = new Map<string, number>();
  for (const e of input.audit) {
    if (e.user?.username !== input.user || e.stage !== 'ResponseComplete' || (e.responseStatus?.code ?? 0) >= 300) continue;
    const t = at(e.requestReceivedTimestamp);
    const name = e.objectRef?.name;
    if (t === undefined || name === undefined) continue;
    if (e.verb === 'create' && e.objectRef?.resource === 'jobs' && !jobCreated.has(name)) jobCreated.set(name, t);
    // The first patch of the Node is the one that marks it: the operator writes a Node only with its mark and record.
    if (e.verb === 'patch' && e.objectRef?.resource === 'nodes' && e.objectRef.subresource === undefined && !nodeMarked.has(name)) nodeMarked.set(name, t);
  }
  const podOf = new Map<string, TimelinePod>();
  for (const p of input.pods) {
    const uid = JOB_UID_LABELS.map((l) => p.metadata.labels?.[l]).find((v) => v !== undefined);
    if (uid !== undefined) podOf.set(uid, p);
  }
  const out: NodeTimeline[] = [];
  for (const j of input.jobs) {
    const node = j.metadata.annotations?.[NODE_NAME_ANNOTATION];
    if (node === undefined) continue;
    const pod = j.metadata.uid === undefined ? undefined : podOf.get(j.metadata.uid);
    const scheduled = pod?.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True')?.lastTransitionTime;
    const finished = pod?.status?.containerStatuses?.find((c) => c.name === 'prepare-vg')?.state?.terminated?.finishedAt;
    const entries: [Stage, number | undefined][] = [
      ['jobCreated', jobCreated.get(j.metadata.name)],
      ['podCreated', at(pod?.metadata.creationTimestamp)],
      ['podScheduled', at(scheduled)],
      ['podFinished', at(finished)],
      ['jobComplete', at(j.status?.completionTime)],
      ['nodeMarked', nodeMarked.get(node)],
    ];
    out.push({ node, ...Object.fromEntries(inOrder(entries).filter(([, v]) => v !== undefined)) });
  }
  return out.sort((a, b) => (a.jobCreated ?? Infinity) - (b.jobCreated ?? Infinity));
}

/**
 * Objects' timestamps have whole seconds (truncated), the audit log's microseconds: a pod created 0.3 s after its Job
 * shows up to a second before it. A stage stamped less than a second before the previous one is taken as at it.
 */
function inOrder(entries: readonly [Stage, number | undefined][]): [Stage, number | undefined][] {
  let last: number | undefined;
  return entries.map(([stage, t]) => {
    const v = t !== undefined && last !== undefined && t < last && t > last - 1 ? last : t;
    if (v !== undefined) last = v;
    return [stage, v];
  });
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/**
 * Printable lines: for each stage, how long after the previous one it came (p50/p90/max over nodes; API
 * timestamps other than the audit log's have whole seconds), and when the first and last node passed it.
 */
export function describeTimelines(timelines: readonly NodeTimeline[]): string[] {
  const lines = [`${'stage'.padEnd(36)} ${'after previous p50/p90/max'.padEnd(28)} first → last node (s after CR)`];
  STAGES.forEach((stage, i) => {
    const times = timelines.flatMap((t) => t[stage] ?? []).sort((a, b) => a - b);
    const prev = i === 0 ? undefined : STAGES[i - 1];
    const gaps = prev === undefined ? [] : timelines.flatMap((t) => (t[stage] !== undefined && t[prev] !== undefined ? [t[stage] - t[prev]] : [])).sort((a, b) => a - b);
    const gap = gaps.length === 0 ? '' : `${quantile(gaps, 0.5).toFixed(1)} / ${quantile(gaps, 0.9).toFixed(1)} / ${(gaps.at(-1) ?? NaN).toFixed(1)} s`;
    const span = times.length === 0 ? 'never' : `${(times[0] ?? NaN).toFixed(1)} → ${(times.at(-1) ?? NaN).toFixed(1)} (${times.length} nodes)`;
    lines.push(`${STAGE_LABELS[stage].padEnd(36)} ${gap.padEnd(28)} ${span}`);
  });
  const created = timelines.flatMap((t) => t.jobCreated ?? []).sort((a, b) => a - b);
  if (created.length > 1) {
    const first = created[0] ?? 0;
    const last = created.at(-1) ?? 0;
    lines.push(`Jobs created at ${(created.length / Math.max(0.001, last - first)).toFixed(1)} a second on average between the first and the last`);
  }
  return lines;
}
