// Lease leader election against a real API server: one leader at a time, a standby takes over when the
// leader releases the lease or stops renewing it.
import { expect } from 'chai';
import { KubeApi } from '../../../lib/kube-api.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { LeaderElector } from '../../../lib/leader-election.js';
import { createLogger } from '../../../lib/log.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';

describe('Lease leader election on a real API server', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  const log = createLogger('test', 'silent');
  const elector = (identity: string) => new LeaderElector(api, { namespace: 'default', name: 'election-test', identity, leaseDurationSeconds: 2, retryPeriodMs: 200 }, log);

  before(async function () {
    cp = await startControlPlane();
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
  });

  after(async function () {
    await (cp as ControlPlane | undefined)?.stop();
  });

  it('lets exactly one of two candidates lead, and hands over at once on release', async function () {
    const a = elector('a');
    const b = elector('b');
    await a.run(() => undefined);
    let bLeads = false;
    const bRun = b.run(() => undefined).then(() => (bLeads = true));
    await new Promise((r) => setTimeout(r, 1000));
    expect([a.isLeader, bLeads]).to.deep.equal([true, false]);
    const t0 = Date.now();
    await a.release();
    await bRun;
    expect(b.isLeader).to.equal(true);
    expect(Date.now() - t0).to.be.lessThan(2000);
    await b.release();
  });

  it('takes over after the lease expires when the leader stops renewing, and tells the old leader', async function () {
    const a = elector('a2');
    let aLost = false;
    await a.run(() => (aLost = true));
    // Simulate a hung leader: another holder overwrites the lease; a notices on its next renewal.
    const lease = await api.get<{ apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: Record<string, unknown> }>('coordination.k8s.io/v1', 'Lease', 'election-test', 'default');
    if (!lease) throw new Error('lease missing');
    await api.request('PUT', await api.objectPath(lease), { body: { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', renewTime: new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') } } });
    const t0 = Date.now();
    const lost = () => aLost; // set by the callback
    while (!lost() && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 100));
    expect(lost()).to.equal(true);
    expect(a.isLeader).to.equal(false);
    const b = elector('b2');
    await b.run(() => undefined); // the intruder never renews: b gets it after expiry
    expect(b.isLeader).to.equal(true);
    await b.release();
  });
});
