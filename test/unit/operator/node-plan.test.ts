import { expect } from 'chai';
import type { NodeStatus } from '../../../api/generated/types.js';
import { initConfigHash } from '../../../lib/storage-config.js';
import { planNodes, retryBackoffMs, type JobFacts, type NodeFacts, type PlanInput } from '../../../operator/nodes/plan.js';
import { formatResult } from '../../../node-agent/prepare-vg/result.js';
import { resolveSpec } from '../../../synth/resolved-spec.js';
import { loadExample, withField } from '../../fixtures/examples.js';

const now = new Date('2026-11-23T12:00:00Z');
const spec = resolveSpec(loadExample('minimal.yaml'));
const init = spec.storage.globalConfig?.resourceToBeInited;
const hash = initConfigHash(init);
const node = (name: string, extra: Partial<NodeFacts> = {}): NodeFacts => ({ name, labels: {}, deleting: false, markedReady: false, ...extra });
const job = (n: string, state: JobFacts['state'], extra: Partial<JobFacts> = {}): JobFacts => ({ name: `prepare-vg-${n}`, node: n, configHash: hash, state, ...extra });
const ok = (n: string) => formatResult({ version: 1, node: n, configHash: hash, volumeGroups: [{ name: 'open-local-pool-0', state: 'Created', devices: ['/dev/vdb'], message: '' }], mountPoints: [] });
const refused = (n: string) => formatResult({ version: 1, node: n, configHash: hash, volumeGroups: [{ name: 'open-local-pool-0', state: 'Refused', devices: [], message: '/dev/vdb: ext4 signature' }], mountPoints: [] });
const plan = (over: Partial<PlanInput>) => planNodes({ spec, nodes: [], jobs: [], previous: [], now, ...over });

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

  it('does not re-run a node without mount points after a reboot (volume groups activate by themselves)', () => {
    const p = planNodes({ spec, nodes: [node('a', { markedReady: true, bootId: 'boot-2' })], jobs: [], previous: [{ name: 'a', phase: 'Ready', configHash: hash, bootID: 'boot-1' }], now });
    expect(p.actions).to.deep.equal([]);
  });
});
