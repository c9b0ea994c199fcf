// The agent against a real kube-apiserver: it waits for its NodeLocalStorage (never creates it), fills the status,
// writes nothing while nothing changes, writes again at once when listConfig, the storage-reserved annotation or
// resourceToBeInited change, and on the next interval when the disks change; it auto-extends a snapshot LV through
// its VolumeSnapshotContent → VolumeSnapshotClass. Discovery reads a sysfs fixture and runs findmnt/realpath on this
// host (direct exec); only LVM and the signature probe are injected, because this kernel has no device-mapper and
// the fixture's disks are not this host's (prepare-vg-uml.test.ts and free-devices-uml.test.ts run the real thing).
// Nothing here counts passes in wall time: a test that needs "the agent looked again" waits for completed passes
// (open_local_agent_passes_total), so a loaded machine only makes it slower.
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { pino } from 'pino';
import type { NodeLocalStorage } from '../../../api/generated/types.js';
import type { RunningAgent } from '../../../node-agent/cli.js';
import type { LvmReport } from '../../../node-agent/lvm/report.js';
import { httpGet, sleep, waitFor } from '../../env/net.js';
import type { RawApi } from '../support/raw-api.js';
import { volumeSnapshotClassCrd, volumeSnapshotContentCrd } from '../support/snapshot-crds.js';
import { GiB, lv, NLS_PATH, NODE, startAgentOnApi, type AgentOnApi } from './support/agent-on-api.js';

const INTERVAL_MS = 250;

/** The node's LVM, as the fake reader reports it; tests change it to simulate the disks changing. */
const lvm: { report: LvmReport; extended: string[] } = {
  report: {
    vgs: [{ name: 'open-local-pool-0', uuid: 'u0', size: 10 * GiB, free: 8 * GiB, tags: ['open-local'], attr: 'wz--n-', pvCount: 1, seqno: 3 }],
    pvs: [{ name: '/dev/vdb', vgName: 'open-local-pool-0', size: 10 * GiB, free: 8 * GiB, tags: [], attr: 'a--' }],
    lvs: [lv('local-5f1c', 2 * GiB)],
  },
  extended: [],
};

describe('node agent against a real API server', function () {
  this.timeout(120_000);
  let env: AgentOnApi | undefined;
  let api: RawApi;
  let agent: RunningAgent;
  const writes: string[] = [];

  const getNls = async (): Promise<NodeLocalStorage> => {
    const r = await api.call('GET', NLS_PATH);
    expect(r.status, r.text).to.equal(200);
    return r.body;
  };
  const statusWrites = () => writes.filter((w) => w === `PATCH ${NLS_PATH}/status`).length;
  /** The agent's counter `name` summed over the samples whose labels include `labels`. */
  const counter = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
    const text = await agent.registry.getSingleMetricAsString(name);
    return text
      .split('\n')
      .filter((l) => l.startsWith(name) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
  };
  /** Waits until `n` more passes have completed (with `result` if given) than when called. */
  const waitForPasses = async (n: number, result?: 'ok' | 'waiting') => {
    const labels: Record<string, string> = result === undefined ? {} : { result };
    const start = await counter('open_local_agent_passes_total', labels);
    await waitFor(`${n} more agent passes${result ? ` (${result})` : ''}`, async () => (await counter('open_local_agent_passes_total', labels)) >= start + n, { timeoutMs: 60_000, intervalMs: 25 });
  };
  const waitForWrites = (n: number) => waitFor(`${n} status writes (have ${statusWrites()}: ${writes.join(', ')})`, () => Promise.resolve(statusWrites() >= n), { timeoutMs: 60_000, intervalMs: 25 });
  const patchNls = async (patch: unknown) => {
    const r = await api.call('PATCH', NLS_PATH, patch, 'application/merge-patch+json');
    expect(r.status, r.text).to.equal(200);
  };

  before(async function () {
    env = await startAgentOnApi({
      extraCrds: [volumeSnapshotClassCrd, volumeSnapshotContentCrd],
      lvm: () => lvm.report,
      intervalMs: INTERVAL_MS,
      httpAddress: '127.0.0.1:0',
      lvExtender: {
        extendBy: (vg, name, bytes) => {
          lvm.extended.push(`${vg}/${name}+${bytes}`);
          // What lvextend does to a snapshot: more COW space, so a lower usage.
          lvm.report = { ...lvm.report, lvs: lvm.report.lvs.map((l) => (l.name === name ? { ...l, size: l.size + bytes, snapPercent: 30 } : l)) };
          return Promise.resolve();
        },
      },
      log: pino({ level: process.env.AGENT_TEST_LOG ?? 'silent' }),
      onRequest: (verb, path) => {
        if (verb !== 'GET') writes.push(`${verb} ${path}`);
      },
    });
    ({ api, agent } = env);
  });

  after(async function () {
    await env?.stop();
  });

  it('waits for its NodeLocalStorage without creating it, and is ready meanwhile', async () => {
    await waitForPasses(3, 'waiting');
    expect(writes).to.deep.equal([]);
    expect((await api.call('GET', NLS_PATH)).status).to.equal(404);
    const port = (agent.server?.address() as AddressInfo).port;
    expect((await httpGet(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);
    expect((await httpGet(`http://127.0.0.1:${port}/readyz`)).status).to.equal(200);
  });

  it('fills the status with Open-Local field names once the NLS controller created the object', async () => {
    const created = await api.create({
      apiVersion: 'csi.aliyun.com/v1alpha1',
      kind: 'NodeLocalStorage',
      metadata: { name: NODE },
      spec: { nodeName: NODE, listConfig: { vgs: { include: ['open-local-pool-[0-9]+'] }, devices: { include: ['/dev/vd.*', '/dev/nvme.*'] } } },
    } as never);
    expect(created.status, created.text).to.equal(201);
    await waitForWrites(1);
    const { status } = await getNls();
    expect(status?.nodeStorageInfo?.deviceInfo?.map((d) => [d.name, d.mediaType, d.total])).to.deep.equal([
      ['/dev/nvme0n1', 'ssd', 195371568 * 512],
      ['/dev/sdd', 'hdd', 41943040 * 512],
      ['/dev/vda', 'ssd', 104857600 * 512],
      ['/dev/vda1', 'ssd', 104855552 * 512],
      ['/dev/vdb', 'ssd', 20971520 * 512],
      ['/dev/vdc', 'ssd', 20971520 * 512],
    ]);
    expect(status?.nodeStorageInfo?.volumeGroups).to.deep.equal([
      {
        name: 'open-local-pool-0',
        physicalVolumes: ['/dev/vdb'],
        logicalVolumes: [{ name: 'local-5f1c', vgname: 'open-local-pool-0', total: 2 * GiB, readOnly: false, condition: 'DiskReady' }],
        total: 10 * GiB,
        available: 8 * GiB,
        allocatable: 10 * GiB,
        condition: 'DiskReady',
      },
    ]);
    expect(status?.nodeStorageInfo).to.include({ phase: 'Running' });
    expect(status?.nodeStorageInfo?.mountPoints).to.deep.equal([]);
    expect(status?.nodeStorageInfo?.state).to.include({ type: 'DiskReady', status: 'True', reason: 'Healthy' });
    expect(status?.nodeStorageInfo?.state?.lastHeartbeatTime).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(status?.filteredStorageInfo).to.deep.include({ volumeGroups: ['open-local-pool-0'], mountPoints: [], devices: ['/dev/nvme0n1', '/dev/vda1', '/dev/vdc'] });
    expect(status?.filteredStorageInfo?.updateStatusInfo).to.include({ updateStatus: 'accepted', reason: '' });
  });

  it('makes no write at all while nothing changes (the heartbeat does not move)', async () => {
    const before = await getNls();
    const unchanged = await counter('open_local_agent_status_unchanged_total');
    await waitForPasses(5, 'ok');
    expect(writes).to.deep.equal([`PATCH ${NLS_PATH}/status`]);
    const after = await getNls();
    expect(after.metadata?.resourceVersion).to.equal(before.metadata?.resourceVersion);
    expect(await counter('open_local_agent_status_unchanged_total')).to.be.at.least(unchanged + 5);
  });

  it('writes again at once when the spec listConfig changes, keeping lastTransitionTime', async () => {
    const before = (await getNls()).status?.nodeStorageInfo?.state;
    await sleep(1100); // timestamps have second precision: let a new heartbeat be visible
    await patchNls({ spec: { listConfig: { devices: { include: ['/dev/sd.*'] } } } });
    await waitForWrites(2);
    const { status } = await getNls();
    expect(status?.filteredStorageInfo?.devices).to.deep.equal(['/dev/sdd']);
    expect(status?.nodeStorageInfo?.state?.lastTransitionTime).to.equal(before?.lastTransitionTime);
    expect(status?.nodeStorageInfo?.state?.lastHeartbeatTime).to.not.equal(before?.lastHeartbeatTime);
  });

  it('applies the storage-reserved annotation (percent form) at once', async () => {
    await patchNls({ metadata: { annotations: { 'csi.aliyun.com/storage-reserved': '{"open-local-pool-0":"25%"}' } } });
    await waitForWrites(3);
    expect((await getNls()).status?.nodeStorageInfo?.volumeGroups?.[0]?.allocatable).to.equal(7.5 * GiB);
  });

  it('reports an invalid pattern in updateStatusInfo instead of crashing', async () => {
    await patchNls({ spec: { listConfig: { vgs: { include: ['open-local-pool-[0-9'] } } } });
    await waitForWrites(4);
    const info = (await getNls()).status?.filteredStorageInfo;
    expect(info?.volumeGroups).to.deep.equal([]);
    expect(info?.updateStatusInfo?.updateStatus).to.equal('failed');
    expect(info?.updateStatusInfo?.reason).to.match(/^listConfig\.vgs\.include\[0\] "open-local-pool-\[0-9" is invalid/);
    await patchNls({ spec: { listConfig: { vgs: { include: ['open-local-pool-[0-9]+'] } } } });
    await waitForWrites(5);
  });

  it('goes DiskFault when a device the spec names does not exist', async () => {
    await patchNls({ spec: { resourceToBeInited: { vgs: [{ name: 'open-local-pool-0', devices: ['/dev/disk/by-id/open-local-test-missing'] }] } } });
    await waitForWrites(6);
    const state = (await getNls()).status?.nodeStorageInfo?.state;
    expect(state).to.include({ type: 'DiskFault', reason: 'DeviceMissing', message: 'device /dev/disk/by-id/open-local-test-missing is missing' });
    await patchNls({ spec: { resourceToBeInited: null } });
    await waitForWrites(7);
    expect((await getNls()).status?.nodeStorageInfo?.state?.type).to.equal('DiskReady');
  });

  it('writes on the next interval when the disks change (a foreign LV appears)', async () => {
    lvm.report = { ...lvm.report, lvs: [...lvm.report.lvs, lv('backup', GiB)] };
    await waitForWrites(8);
    const vg = (await getNls()).status?.nodeStorageInfo?.volumeGroups?.[0];
    expect(vg?.logicalVolumes?.map((l) => l.name)).to.deep.equal(['backup', 'local-5f1c']);
    expect(vg?.allocatable).to.equal(7.5 * GiB); // min(10 − 1, 10 − 2.5) GiB
  });

  it('auto-extends a snapshot LV past its VolumeSnapshotClass threshold, found through its VolumeSnapshotContent', async () => {
    const classResult = await api.create({ apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotClass', metadata: { name: 'open-local-lvm' }, driver: 'local.csi.aliyun.com', deletionPolicy: 'Delete', parameters: { 'csi.aliyun.com/snapshot-expansion-threshold': '50%', 'csi.aliyun.com/snapshot-expansion-size': '1Gi' } } as never);
    expect(classResult.status, classResult.text).to.equal(201);
    const content = {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotContent',
      metadata: { name: 'snapcontent-1' },
      spec: {
        driver: 'local.csi.aliyun.com',
        volumeSnapshotClassName: 'open-local-lvm',
        deletionPolicy: 'Delete',
        source: { volumeHandle: 'local-5f1c' },
        volumeSnapshotRef: { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot', namespace: 'default', name: 'snap' },
      },
    };
    const created = await api.create(content);
    expect(created.status, created.text).to.equal(201);
    // The snapshot handle is status, written as the snapshotter writes it: through the status subresource.
    const status = await api.call('PATCH', '/apis/snapshot.storage.k8s.io/v1/volumesnapshotcontents/snapcontent-1/status', { status: { snapshotHandle: 'snap-1', readyToUse: true } }, 'application/merge-patch+json');
    expect(status.status, status.text).to.equal(200);
    // snap-1 is open-local's and 60% full; someone-elses is a snapshot without a content of our driver.
    lvm.report = {
      ...lvm.report,
      lvs: [...lvm.report.lvs, lv('snap-1', GiB, { attr: 'swi-a-s---', origin: 'local-5f1c', snapPercent: 60 }), lv('someone-elses', GiB, { attr: 'swi-a-s---', origin: 'backup', snapPercent: 99 })],
    };
    await waitFor('lvextend of snap-1', () => Promise.resolve(lvm.extended.length > 0), { timeoutMs: 60_000, intervalMs: 25 });
    await waitForPasses(3, 'ok');
    expect(lvm.extended).to.deep.equal([`open-local-pool-0/snap-1+${GiB}`]);
    await waitFor('snap-1 grown in status', async () => (await getNls()).status?.nodeStorageInfo?.volumeGroups?.[0]?.logicalVolumes?.find((l) => l.name === 'snap-1')?.total === 2 * GiB, { timeoutMs: 60_000 });
  });

  it('serves /metrics with discovery durations, status writes and API requests by verb', async () => {
    const port = (agent.server?.address() as AddressInfo).port;
    const text = (await httpGet(`http://127.0.0.1:${port}/metrics`)).body;
    /** The value of the sample `name` carrying all `labels` (prom-client orders labels its own way). */
    const sample = (name: string, labels: Record<string, string>): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
      expect(line, `${name} ${JSON.stringify(labels)} in\n${text}`).to.not.equal(undefined);
      return Number(line?.split(' ').at(-1));
    };
    // Every pass that found its NodeLocalStorage discovered at least once (twice after growing a snapshot).
    const passed = sample('open_local_agent_passes_total', { result: 'ok' });
    expect(passed).to.be.greaterThan(10);
    expect(sample('open_local_agent_discovery_duration_seconds_count', { result: 'ok', component: 'agent' })).to.be.at.least(passed);
    expect(sample('open_local_agent_status_writes_total', { result: 'ok' })).to.equal(statusWrites());
    expect(sample('open_local_agent_snapshot_extends_total', { result: 'ok' })).to.equal(1);
    expect(sample('open_local_kube_requests_total', { verb: 'PATCH', code: '200' })).to.equal(statusWrites());
  });

  it('only ever wrote its own status', () => {
    expect(new Set(writes)).to.deep.equal(new Set([`PATCH ${NLS_PATH}/status`]));
  });

  it('does not recreate a deleted NodeLocalStorage', async () => {
    expect((await api.call('DELETE', NLS_PATH)).status).to.equal(200);
    const before = writes.length;
    await waitForPasses(3, 'waiting');
    expect(writes.slice(before)).to.deep.equal([]);
    expect((await api.call('GET', NLS_PATH)).status).to.equal(404);
  });
});
