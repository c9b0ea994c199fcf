import { expect } from 'chai';
import type { NodeStatus } from '../../../api/generated/types.js';
import { initConfigHash } from '../../../lib/storage-config.js';
import { planNodes as planByNode, podStartTimeoutMs, retryBackoffMs, type JobFacts, type NodeFacts, type PlanInput } from '../../../operator/nodes/plan.js';
import { formatResult } from '../../../node-agent/prepare-vg/result.js';
import { resolveSpec } from '../../../synth/resolved-spec.js';
import { loadExample, withField } from '../../fixtures/examples.js';
import { byNode } from '../../fixtures/node-statuses.js';

const now = new Date('2026-11-23T12:00:00Z');
const spec = resolveSpec(loadExample('minimal.yaml'));
const init = spec.storage.globalConfig?.resourceToBeInited;
const hash = initConfigHash(init);
const node = (name: string, extra: Partial<NodeFacts> = {}): NodeFacts => ({ name, labels: {}, deleting: false, markedReady: false, ...extra });
const job = (n: string, state: JobFacts['state'], extra: Partial<JobFacts> = {}): JobFacts => ({ name: `prepare-vg-${n}`, node: n, configHash: hash, state, ...extra });
const ok = (n: string) => formatResult({ version: 1, node: n, configHash: hash, volumeGroups: [{ name: 'open-local-pool-0', state: 'Created', devices: ['/dev/vdb'], message: '' }], mountPoints: [] });
const refused = (n: string) => formatResult({ version: 1, node: n, configHash: hash, volumeGroups: [{ name: 'open-local-pool-0', state: 'Refused', devices: [], message: '/dev/vdb: ext4 signature' }], mountPoints: [] });
/** The plan, with the previous statuses given as a list (the tests read best that way). */
type ListInput = Omit<PlanInput, 'previous'> & { readonly previous: readonly NodeStatus[] };
const planNodes = (input: ListInput) => planByNode({ ...input, previous: byNode(input.previous) });
const plan = (over: Partial<ListInput>) => planNodes({ spec, nodes: [], jobs: [], previous: [], now, ...over });

describe('operator/nodes/plan', () => {
  it('starts a Job on every eligible node, within the concurrency limit', () => {
    const limited = resolveSpec(withField(loadExample('minimal.yaml'), 'spec.prepareVolumeGroups.concurrency', 2));
    const p = planNodes({ spec: limited, nodes: ['a', 'b', 'c'].map((n) => node(n)), jobs: [], previous: [], now });
    expect(p.actions).to.deep.equal([
      { type: 'createJob', node: 'a', labels: {} },
      { type: 'createJob', node: 'b', labels: {} },
    ]);
    expect(p.statuses.map((s) => [s.name, s.phase, s.reason])).to.deep.equal([
      ['a', 'Preparing', 'JobCreated'],
      ['b', 'Preparing', 'JobCreated'],
      ['c', 'Pending', 'WaitingForSlot'],
    ]);
  });

  it('counts running Jobs against the limit', () => {
    const limited = resolveSpec(withField(loadExample('minimal.yaml'), 'spec.prepareVolumeGroups.concurrency', 1));
    const p = planNodes({ spec: limited, nodes: [node('a'), node('b')], jobs: [job('a', 'Active')], previous: [], now });
    expect(p.actions).to.deep.equal([]);
  });

  it('makes a node Ready and marks it when its Job succeeded with a good result', () => {
    const p = plan({ nodes: [node('a')], jobs: [job('a', 'Succeeded', { resultText: ok('a') })] });
    expect(p.statuses[0]).to.include({ phase: 'Ready', reason: 'VolumeGroupsReady', configHash: hash });
    expect(p.statuses[0]?.volumeGroups?.[0]).to.include({ name: 'open-local-pool-0', state: 'Created' });
    expect(p.actions).to.deep.equal([{ type: 'markReady', node: 'a' }]);
  });

  it('reports a refused device with its reason and retries only after the backoff', () => {
    const finishedAt = new Date(now.getTime() - 10_000).toISOString();
    const p = plan({ nodes: [node('a')], jobs: [job('a', 'Failed', { finishedAt, resultText: refused('a') })], previous: [{ name: 'a', phase: 'Preparing', attempts: 1 }] });
    expect(p.statuses[0]).to.include({ phase: 'Failed', reason: 'DeviceRefused' });
    expect(p.statuses[0]?.message).to.include('ext4');
    expect(p.actions).to.deep.equal([]);
    expect(p.requeueAfterMs).to.equal(retryBackoffMs(1) - 10_000);
    const later = planNodes({ spec, nodes: [node('a')], jobs: [job('a', 'Failed', { finishedAt, resultText: refused('a') })], previous: [{ name: 'a', phase: 'Failed', attempts: 1 }], now: new Date(now.getTime() + retryBackoffMs(1)) });
    expect(later.actions).to.deep.equal([{ type: 'deleteJob', name: 'prepare-vg-a' }]);
  });

  it('grows the backoff with every attempt up to 10 minutes', () => {
    expect([1, 2, 3, 10].map(retryBackoffMs)).to.deep.equal([30_000, 60_000, 120_000, 600_000]);
  });

  it('counts the attempt when it starts the retry Job', () => {
    const p = plan({ nodes: [node('a')], previous: [{ name: 'a', phase: 'Failed', reason: 'DeviceRefused', attempts: 2 }] });
    expect(p.statuses[0]).to.include({ phase: 'Preparing', attempts: 3 });
  });

  it('explains a Job that timed out or gave no result', () => {
    const timedOut = plan({ nodes: [node('a')], jobs: [job('a', 'Failed', { failureReason: 'DeadlineExceeded', finishedAt: now.toISOString() })] });
    expect(timedOut.statuses[0]).to.include({ reason: 'JobTimedOut' });
    const garbage = plan({ nodes: [node('a')], jobs: [job('a', 'Failed', { resultText: 'panic: oops', finishedAt: now.toISOString() })] });
    expect(garbage.statuses[0]).to.include({ reason: 'InvalidResult' });
  });

  it('keeps a Ready node with the same config as it is: no action, same status object', () => {
    const ready: NodeStatus = { name: 'a', phase: 'Ready', reason: 'VolumeGroupsReady', configHash: hash, attempts: 0, lastTransitionTime: '2026-11-01T00:00:00Z' };
    const p = plan({ nodes: [node('a', { markedReady: true })], previous: [ready] });
    expect(p.actions).to.deep.equal([]);
    expect(p.statuses).to.deep.equal([ready]);
  });

  it('re-runs a Ready node whose config changed, and retires a Job running an old config', () => {
    const p = plan({ nodes: [node('a', { markedReady: true })], previous: [{ name: 'a', phase: 'Ready', configHash: 'old' }] });
    expect(p.actions).to.deep.equal([{ type: 'createJob', node: 'a', labels: {} }]);
    const stale = plan({ nodes: [node('a')], jobs: [job('a', 'Active', { configHash: 'old' })] });
    expect(stale.actions).to.deep.equal([{ type: 'deleteJob', name: 'prepare-vg-a' }]);
    expect(stale.statuses[0]).to.include({ reason: 'ConfigChanged' });
  });

  it('picks the config by node labels (nodesConfig) and is Ready without a Job when nothing is configured', () => {
    const cluster = withField(loadExample('minimal.yaml'), 'spec.storage.nodesConfig', [{ selector: { matchLabels: { role: 'compute' } } }]);
    const p = planNodes({ spec: resolveSpec(cluster), nodes: [node('a', { labels: { role: 'compute' } }), node('b')], jobs: [], previous: [], now });
    expect(p.statuses.map((s) => [s.name, s.phase, s.reason])).to.deep.equal([
      ['a', 'Ready', 'NothingToPrepare'],
      ['b', 'Preparing', 'JobCreated'],
    ]);
  });

  it('drops nodes that left or were deselected: unmarks them and removes their Jobs', () => {
    const selective = resolveSpec(withField(loadExample('minimal.yaml'), 'spec.nodes.selector', { matchLabels: { storage: 'yes' } }));
    const p = planNodes({ spec: selective, nodes: [node('a', { markedReady: true }), node('b', { labels: { storage: 'yes' }, markedReady: true })], jobs: [job('a', 'Succeeded')], previous: [{ name: 'a', phase: 'Ready', configHash: hash }, { name: 'b', phase: 'Ready', configHash: hash }], now });
    expect(p.statuses.map((s) => s.name)).to.deep.equal(['b']);
    expect(p.actions).to.deep.equal([{ type: 'unmarkReady', node: 'a' }, { type: 'deleteJob', name: 'prepare-vg-a' }]);
  });

  it('ignores nodes being deleted', () => {
    expect(plan({ nodes: [node('a', { deleting: true })] }).statuses).to.deep.equal([]);
  });
});

describe('operator/nodes/plan after a reboot', () => {
  const withMount = resolveSpec(withField(loadExample('minimal.yaml'), 'spec.storage.globalConfig.resourceToBeInited.mountpoints', [{ path: '/mnt/open-local/disk-0', device: '/dev/vdc' }]));
  const mountHash = initConfigHash(withMount.storage.globalConfig?.resourceToBeInited);
  const ready: NodeStatus = { name: 'a', phase: 'Ready', configHash: mountHash, bootID: 'boot-1' };

  it('runs prepare-vg again when a node with mount points rebooted (no fstab: the mounts are gone)', () => {
    const p = planNodes({ spec: withMount, nodes: [node('a', { markedReady: true, bootId: 'boot-2' })], jobs: [], previous: [ready], now });
    expect(p.actions).to.deep.equal([{ type: 'createJob', node: 'a', labels: {} }]);
  });

  it('replaces the finished pre-reboot Job first', () => {
    const p = planNodes({ spec: withMount, nodes: [node('a', { markedReady: true, bootId: 'boot-2' })], jobs: [job('a', 'Succeeded', { configHash: mountHash })], previous: [ready], now });
    expect(p.actions).to.deep.equal([{ type: 'deleteJob', name: 'prepare-vg-a' }]);
    expect(p.statuses[0]).to.include({ phase: 'Preparing', reason: 'NodeRebooted' });
  });

  it('records the boot ID when the run succeeds, and leaves a node alone that did not reboot', () => {
    const done = planNodes({ spec: withMount, nodes: [node('a', { bootId: 'boot-2' })], jobs: [job('a', 'Succeeded', { configHash: mountHash })], previous: [], now });
    expect(done.statuses[0]).to.include({ phase: 'Ready', bootID: 'boot-2' });
    const same = planNodes({ spec: withMount, nodes: [node('a', { markedReady: true, bootId: 'boot-1' })], jobs: [], previous: [ready], now });
    expect(same.actions).to.deep.equal([]);
  });

  it('re-verifies a node with only volume groups after a reboot too (prepare-vg is a no-op when they exist)', () => {
    const p = planNodes({ spec, nodes: [node('a', { markedReady: true, bootId: 'boot-2' })], jobs: [], previous: [{ name: 'a', phase: 'Ready', configHash: hash, bootID: 'boot-1' }], now });
    expect(p.actions).to.deep.equal([{ type: 'createJob', node: 'a', labels: {} }]);
  });

  it('does not trust a finished Job started before the current boot, even when the status missed the reboot', () => {
    const p = planNodes({ spec, nodes: [node('a', { bootId: 'boot-2' })], jobs: [job('a', 'Succeeded', { bootId: 'boot-1', resultText: ok('a') })], previous: [], now });
    expect(p.actions).to.deep.equal([{ type: 'deleteJob', name: 'prepare-vg-a' }]);
    expect(p.statuses[0]).to.include({ phase: 'Preparing', reason: 'NodeRebooted' });
  });
});

describe('operator/nodes/plan for a Node deleted and created again under the same name', () => {
  const ready: NodeStatus = { name: 'a', uid: 'uid-1', phase: 'Ready', reason: 'VolumeGroupsReady', configHash: hash, attempts: 0, bootID: 'boot-1' };

  it('prepares the new Node as a new node and keys its status by the new UID', () => {
    const p = plan({ nodes: [node('a', { uid: 'uid-2', bootId: 'boot-1' })], previous: [ready] });
    expect(p.actions).to.deep.equal([{ type: 'createJob', node: 'a', labels: {} }]);
    expect(p.statuses[0]).to.include({ uid: 'uid-2', phase: 'Preparing', reason: 'JobCreated', attempts: 1 });
    expect(p.statuses[0]?.configHash).to.equal(undefined);
  });

  it('retires a Job started for the old Node, whatever its state, instead of reading its result', () => {
    for (const state of ['Succeeded', 'Active'] as const) {
      const p = plan({ nodes: [node('a', { uid: 'uid-2' })], jobs: [job('a', state, { nodeUid: 'uid-1', resultText: ok('a') })], previous: [ready] });
      expect(p.actions, state).to.deep.equal([{ type: 'deleteJob', name: 'prepare-vg-a' }]);
      expect(p.statuses[0], state).to.include({ uid: 'uid-2', phase: 'Preparing', reason: 'NodeRecreated' });
    }
  });

  it('adds the UID to a status written before UIDs were recorded, and then stays steady', () => {
    const old: NodeStatus = { name: 'a', phase: 'Ready', configHash: hash, attempts: 0 };
    const first = plan({ nodes: [node('a', { uid: 'uid-1', markedReady: true })], previous: [old] });
    expect(first.statuses).to.deep.equal([{ ...old, uid: 'uid-1' }]);
    const second = plan({ nodes: [node('a', { uid: 'uid-1', markedReady: true })], previous: first.statuses });
    expect(second.statuses).to.deep.equal(first.statuses);
    expect(second.actions).to.deep.equal([]);
  });
});

describe('operator/nodes/plan fairness at scale', () => {
  const many = (n: number, prefix: string, extra: Partial<NodeFacts> = {}) => Array.from({ length: n }, (_, i) => node(`${prefix}-${String(i).padStart(4, '0')}`, extra));
  const created = (p: ReturnType<typeof planNodes>) => p.actions.filter((a) => a.type === 'createJob').map((a) => ('node' in a ? a.node : ''));

  it('5 cordoned nodes holding pending Jobs + 995 healthy nodes at the defaults: the healthy ones get the 5 slots', () => {
    const cordoned = many(5, 'a', { unschedulable: true });
    const healthy = many(995, 'b');
    const stuck = cordoned.map((n) => job(n.name, 'Active', { createdAt: new Date(now.getTime() - 5_000).toISOString(), pod: 'Pending', podWaiting: '0/1000 nodes are available: 1 node(s) were unschedulable' }));
    const p = plan({ nodes: [...cordoned, ...healthy], jobs: stuck });
    expect(created(p)).to.deep.equal(healthy.slice(0, 5).map((n) => n.name));
    expect(p.actions.filter((a) => a.type === 'deleteJob')).to.have.length(5);
    expect(p.statuses.find((s) => s.name === 'a-0000')).to.include({ phase: 'Pending', reason: 'NodeUnschedulable' });
  });

  it('starts no Job on cordoned or NotReady nodes, and an unknown Ready state does not block', () => {
    const p = plan({ nodes: [node('a', { unschedulable: true }), node('b', { ready: 'False' }), node('c', { ready: 'Unknown' }), node('d'), node('e', { ready: 'True' })] });
    expect(created(p)).to.deep.equal(['d', 'e']);
    expect(p.statuses.map((s) => [s.name, s.phase, s.reason])).to.deep.equal([
      ['a', 'Pending', 'NodeUnschedulable'],
      ['b', 'Pending', 'NodeNotReady'],
      ['c', 'Pending', 'NodeNotReady'],
      ['d', 'Preparing', 'JobCreated'],
      ['e', 'Preparing', 'JobCreated'],
    ]);
  });

  it('keeps a started Job on a node that turned NotReady (prepare-vg may be at work there)', () => {
    const p = plan({ nodes: [node('a', { ready: 'False' })], jobs: [job('a', 'Active', { pod: 'Running', createdAt: now.toISOString() })] });
    expect(p.actions).to.deep.equal([]);
    expect(p.statuses[0]).to.include({ reason: 'JobRunning' });
  });

  it('frees the slot of a Job whose pod did not start within the start timeout, as a failed attempt with a retry time', () => {
    const limited = resolveSpec(withField(loadExample('minimal.yaml'), 'spec.prepareVolumeGroups.concurrency', 1));
    const timeout = podStartTimeoutMs(limited);
    expect(timeout).to.equal(300_000);
    const pending = job('a', 'Active', { createdAt: new Date(now.getTime() - timeout).toISOString(), pod: 'Pending', podWaiting: 'ImagePullBackOff' });
    const p = planNodes({ spec: limited, nodes: [node('a'), node('b')], jobs: [pending], previous: [{ name: 'a', phase: 'Preparing', attempts: 1 }], now });
    expect(p.actions).to.deep.equal([{ type: 'deleteJob', name: 'prepare-vg-a' }, { type: 'createJob', node: 'b', labels: {} }]);
    expect(p.statuses[0]).to.include({ phase: 'Failed', reason: 'PodNotStarted', attempts: 1, retryAt: new Date(now.getTime() + retryBackoffMs(1)).toISOString() });
    expect(p.statuses[0]?.message).to.include('300s').and.include('ImagePullBackOff');

    const early = planNodes({ spec: limited, nodes: [node('a'), node('b')], jobs: [{ ...pending, createdAt: new Date(now.getTime() - 1_000).toISOString() }], previous: [], now });
    expect(early.actions).to.deep.equal([]);
    expect(early.requeueAfterMs).to.equal(timeout - 1_000);
  });

  it('gives slots to nodes never tried before retries, and to the longest-waiting retry first', () => {
    const limited = resolveSpec(withField(loadExample('minimal.yaml'), 'spec.prepareVolumeGroups.concurrency', 2));
    const due = (name: string, ago: number): NodeStatus => ({ name, phase: 'Failed', reason: 'DeviceRefused', attempts: 1, retryAt: new Date(now.getTime() - ago).toISOString() });
    const p = planNodes({ spec: limited, nodes: [node('a'), node('b'), node('c'), node('z')], jobs: [], previous: [due('a', 1_000), due('b', 9_000), due('c', 5_000)], now });
    expect(created(p)).to.deep.equal(['z', 'b']);
    expect(p.statuses.find((s) => s.name === 'a')).to.deep.equal(due('a', 1_000));
  });

  it('waits for retryAt before retrying a node whose failed Job is gone', () => {
    const failed: NodeStatus = { name: 'a', phase: 'Failed', reason: 'PodNotStarted', attempts: 1, retryAt: new Date(now.getTime() + 20_000).toISOString() };
    const p = plan({ nodes: [node('a')], previous: [failed] });
    expect(p.actions).to.deep.equal([]);
    expect(p.statuses).to.deep.equal([failed]);
    expect(p.requeueAfterMs).to.equal(20_000);
  });
});

describe('operator/nodes/plan one prepare-vg per node', () => {
  it('starts no Job beside a prepare-vg pod whose Job is gone, and counts that pod against the limit', () => {
    const limited = resolveSpec(withField(loadExample('minimal.yaml'), 'spec.prepareVolumeGroups.concurrency', 1));
    const p = planNodes({ spec: limited, nodes: [node('a'), node('b')], jobs: [], previous: [], now, strayPods: new Map([['a', 'prepare-vg-a-old']]) });
    expect(p.actions).to.deep.equal([]);
    expect(p.statuses.map((s) => [s.name, s.reason])).to.deep.equal([['a', 'WaitingForOldPod'], ['b', 'WaitingForSlot']]);
  });

  it('keeps a node Failed (with its retry time) or Pending (cordoned) while its Job is deleted in the foreground', () => {
    const failed: NodeStatus = { name: 'a', phase: 'Failed', reason: 'DeviceRefused', attempts: 1, retryAt: now.toISOString() };
    const p = plan({ nodes: [node('a')], jobs: [job('a', 'Deleting')], previous: [failed] });
    expect(p.statuses).to.deep.equal([failed]);
    expect(p.actions).to.deep.equal([]);
    const cordoned = plan({ nodes: [node('a', { unschedulable: true })], jobs: [job('a', 'Active', { pod: 'Pending' })] });
    const deleting = plan({ nodes: [node('a', { unschedulable: true })], jobs: [job('a', 'Deleting')], previous: cordoned.statuses, now: new Date(now.getTime() + 1_000) });
    const gone = plan({ nodes: [node('a', { unschedulable: true })], previous: deleting.statuses, now: new Date(now.getTime() + 2_000) });
    expect(deleting.statuses).to.deep.equal(cordoned.statuses);
    expect(gone.statuses).to.deep.equal(cordoned.statuses);
  });
});

describe('operator/nodes/plan status churn', () => {
  it('stores the retry time, not a countdown: two plans inside one backoff give byte-identical statuses', () => {
    const finishedAt = new Date(now.getTime() - 10_000).toISOString();
    const input = { nodes: [node('a')], jobs: [job('a', 'Failed', { finishedAt, resultText: refused('a') })], previous: [{ name: 'a', phase: 'Preparing' as const, attempts: 1 }] };
    const first = plan(input);
    const second = plan({ ...input, previous: first.statuses, now: new Date(now.getTime() + 7_000) });
    expect(JSON.stringify(second.statuses)).to.equal(JSON.stringify(first.statuses));
    expect(first.statuses[0]).to.include({ retryAt: new Date(Date.parse(finishedAt) + retryBackoffMs(1)).toISOString() });
    expect(first.statuses[0]?.message).to.not.match(/retrying in/);
  });
});
