// The agent passes again at once when one of its node's LocalVolumes changes (the node plugin created, resized or
// removed an LV): the NodeLocalStorage shows the new free space within seconds, where the discovery interval (10
// minutes here) would otherwise be the wait. A burst of changes starts one pass, not one each. Another node's
// volumes start no pass. Real kube-apiserver; LVM is the
// injected report, as in agent-api.test.ts (this kernel has no device-mapper).
import { expect } from 'chai';
import { pino } from 'pino';
import type { NodeLocalStorage } from '../../../api/generated/types.js';
import { VOLUME_PASS_SETTLE_MS } from '../../../node-agent/agent.js';
import type { LvmReport, LvReport } from '../../../node-agent/lvm/report.js';
import { waitFor } from '../../env/net.js';
import type { RawApi } from '../support/raw-api.js';
import { GiB, lv as lvOf, NLS_PATH, NODE, startAgentOnApi, VG, type AgentOnApi } from './support/agent-on-api.js';

const LV_PATH = '/apis/csi.aliyun.com/v1alpha1/localvolumes';

const lv = (name: string, size: number): LvReport => lvOf(name, size, { tags: ['open-local'] });
const report = (lvs: LvReport[]): LvmReport => {
  const used = lvs.reduce((sum, l) => sum + l.size, 0);
  return {
    vgs: [{ name: VG, uuid: 'u0', size: 10 * GiB, free: 10 * GiB - used, tags: ['open-local'], attr: 'wz--n-', pvCount: 1, seqno: 3 }],
    pvs: [{ name: '/dev/vdb', vgName: VG, size: 10 * GiB, free: 10 * GiB - used, tags: [], attr: 'a--' }],
    lvs,
  };
};

describe('node agent: a pass at once when one of its node\'s LocalVolumes changes', function () {
  this.timeout(120_000);
  let env: AgentOnApi | undefined;
  let api: RawApi;
  let lvm = report([]);

  const available = async (): Promise<number | undefined> => {
    const r = await api.call('GET', NLS_PATH);
    return (r.body as NodeLocalStorage).status?.nodeStorageInfo?.volumeGroups?.[0]?.available;
  };
  /** Why the agent asked for each pass, from its own debug log. */
  const passReasons: string[] = [];
  const createVolume = async (name: string, node: string, size: number): Promise<void> => {
    const created = await api.create({ apiVersion: 'csi.aliyun.com/v1alpha1', kind: 'LocalVolume', metadata: { name }, spec: { nodeName: node, volumeType: 'LVM', vgName: VG, size: String(size) } } as never);
    expect(created.status, created.text).to.equal(201);
  };
  const setPhase = async (name: string, phase: string, size: number): Promise<void> => {
    const r = await api.call('PATCH', `${LV_PATH}/${name}/status`, { status: { phase, size: String(size) } }, 'application/merge-patch+json');
    expect(r.status, r.text).to.equal(200);
  };

  before(async function () {
    env = await startAgentOnApi({
      lvm: () => lvm,
      intervalMs: 600_000,
      httpAddress: '',
      log: pino({ level: 'debug' }, {
        write: (line: string) => {
          const entry = JSON.parse(line) as { msg?: string; why?: string };
          if (entry.msg === 'pass requested' && entry.why) passReasons.push(entry.why);
          if (process.env.AGENT_TEST_LOG) process.stdout.write(line);
        },
      }),
    });
    api = env.api;
    const created = await api.create({ apiVersion: 'csi.aliyun.com/v1alpha1', kind: 'NodeLocalStorage', metadata: { name: NODE }, spec: { nodeName: NODE, listConfig: { vgs: { include: ['open-local-pool-[0-9]+'] } } } } as never);
    expect(created.status, created.text).to.equal(201);
    await waitFor('the first status', async () => (await available()) === 10 * GiB, { timeoutMs: 60_000, intervalMs: 50 });
  });

  after(async function () {
    await env?.stop();
  });

  it('shows the space an LV took as soon as its LocalVolume is Ready', async () => {
    await createVolume('local-a', NODE, 2 * GiB);
    lvm = report([lv('local-a', 2 * GiB)]);
    await setPhase('local-a', 'Ready', 2 * GiB);
    await waitFor('NodeLocalStorage available 8 GiB', async () => (await available()) === 8 * GiB, { timeoutMs: 20_000, intervalMs: 50 });
  });

  it('shows the space back as soon as the LocalVolume is gone', async () => {
    expect(await available(), 'local-a counted').to.equal(8 * GiB);
    lvm = report([]);
    const r = await api.call('DELETE', `${LV_PATH}/local-a`);
    expect(r.status, r.text).to.be.oneOf([200, 202]);
    await waitFor('NodeLocalStorage available 10 GiB', async () => (await available()) === 10 * GiB, { timeoutMs: 20_000, intervalMs: 50 });
  });

  it('starts no pass for another node\'s volumes', async () => {
    await createVolume('local-b', 'worker-2', GiB);
    await setPhase('local-b', 'Ready', GiB);
    // A control: a volume of this node, created after the other one, is seen (so the other one's events were too).
    await createVolume('local-c', NODE, GiB);
    await waitFor('the pass for local-c', () => Promise.resolve(passReasons.includes('LocalVolume local-c created')), { timeoutMs: 20_000, intervalMs: 50 });
    expect(passReasons.filter((r) => r.includes('local-b'))).to.deep.equal([]);
  });

  it('starts one pass for a burst of changes, after the last of them', async () => {
    const burst = ['local-d', 'local-e', 'local-f', 'local-g'];
    const before = passReasons.length;
    await Promise.all(burst.map((name) => createVolume(name, NODE, GiB)));
    const fromBurst = () => passReasons.slice(before).filter((r) => burst.some((name) => r === `LocalVolume ${name} created`));
    await waitFor('the pass for the burst', () => Promise.resolve(fromBurst().length > 0), { timeoutMs: 20_000, intervalMs: 50 });
    // Another settle period: a second pass for the same burst would have been asked for by now.
    await new Promise((resolve) => setTimeout(resolve, VOLUME_PASS_SETTLE_MS + 500));
    expect(fromBurst()).to.have.length(1);
  });
});
