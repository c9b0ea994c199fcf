// Lease leader election against a real API server: one leader at a time, a standby takes over when the
// leader releases the lease or stops renewing it, a stall shorter than the renew deadline costs no leadership,
// and 20 s of clock skew between candidates changes none of this.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeApi } from '../../../lib/kube-api.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { LeaderElector } from '../../../lib/leader-election.js';
import { createLogger } from '../../../lib/log.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { startApiProxy, type ApiProxy } from '../support/api-proxy.js';
import { eventually } from '../support/kubelet-play.js';
import { until } from '../support/until.js';

type Lease = { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: Record<string, unknown> & { renewTime?: string } };

describe('Lease leader election on a real API server', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  const log = createLogger('test', 'silent');
  const elector = (identity: string) => new LeaderElector(api, { namespace: 'default', name: 'election-test', identity, leaseDurationSeconds: 2, retryPeriodMs: 200 }, log);
  /** Runs `test` on an API proxy of its own (it may hang it for good), then closes the proxy and removes its folder. */
  const withProxy = async (test: (proxy: ApiProxy) => Promise<void>): Promise<void> => {
    const dir = await mkdtemp(join(tmpdir(), 'election-test-'));
    const proxy = await startApiProxy(cp, dir);
    try {
      await test(proxy);
    } finally {
      await proxy.close();
      await rm(dir, { recursive: true, force: true });
    }
  };

  before(async function () {
    cp = await startControlPlane();
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
  });

  after(async function () {
    await (cp as ControlPlane | undefined)?.stop();
  });

  it('lets exactly one of two candidates lead, and hands over at once on release', async function () {
    const a = elector('a');
    const gets = { n: 0 };
    const b = new LeaderElector(
      new KubeApi(loadKubeConfig(cp.kubeconfigPath), (verb, path) => {
        if (verb === 'GET' && path.endsWith('/leases/election-test')) gets.n++;
      }),
      { namespace: 'default', name: 'election-test', identity: 'b', leaseDurationSeconds: 2, retryPeriodMs: 200 },
      log,
    );
    await a.run(() => undefined);
    let bLeads = false;
    const bRun = b.run(() => undefined).then(() => (bLeads = true));
    await until('5 attempts of the standby', () => gets.n >= 5);
    expect([a.isLeader, bLeads]).to.deep.equal([true, false]);
    const attemptsBefore = gets.n;
    await a.release();
    await bRun;
    expect(b.isLeader).to.equal(true);
    // At once: the first attempt after the release (or the one in flight) takes the lease, not one after expiry.
    expect(gets.n - attemptsBefore).to.be.at.most(2);
    await b.release();
  });

  it('takes over after the lease expires when the leader stops renewing, and tells the old leader', async function () {
    const a = elector('a2');
    let aLost = false;
    await a.run(() => (aLost = true));
    // Simulate a hung leader: another holder overwrites the lease; a notices on its next renewal.
    const lease = await api.get<Lease>('coordination.k8s.io/v1', 'Lease', 'election-test', 'default');
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

  it('keeps leading through an API server stall shorter than the renew deadline: a hung renewal is abandoned and retried', async function () {
    await withProxy(async (proxy) => {
      // Renew deadline 6 s, so one attempt waits at most 3 s; the stall (4 s) outlasts any single attempt.
      const a = new LeaderElector(new KubeApi(proxy.kubeConfig()), { namespace: 'default', name: 'election-stall', identity: 'a', leaseDurationSeconds: 9, retryPeriodMs: 500 }, log);
      let aLost = false;
      await a.run(() => (aLost = true));
      proxy.blackhole();
      await new Promise((r) => setTimeout(r, 4000));
      proxy.answerAgain();
      const renewed = async () => (await api.get<Lease>('coordination.k8s.io/v1', 'Lease', 'election-stall', 'default'))?.spec.renewTime;
      const before = await renewed();
      await eventually('a renewal after the stall', async () => ((await renewed()) !== before ? true : undefined), 20_000);
      expect({ leads: a.isLeader, lost: aLost }).to.deep.equal({ leads: true, lost: false });
      await a.release();
    });
  });

  describe('with 20 s of clock skew between candidates', function () {
    const SKEW_MS = 20_000;
    // Long enough that a loaded machine renews well within the renew deadline (2.7 s).
    const DURATION_S = 4;
    const PERIOD_MS = 400;
    const skewed = (offsetMs: number) => () => new Date(Date.now() + offsetMs);
    /** A candidate on its own client, counting its GETs of the lease (one per attempt). */
    const candidate = (kubeApi: KubeApi, lease: string, identity: string, offsetMs: number) =>
      new LeaderElector(kubeApi, { namespace: 'default', name: lease, identity, leaseDurationSeconds: DURATION_S, retryPeriodMs: PERIOD_MS, now: skewed(offsetMs) }, log);
    const countingApi = (lease: string) => {
      const counter = { gets: 0 };
      const kubeApi = new KubeApi(loadKubeConfig(cp.kubeconfigPath), (verb, path) => {
        if (verb === 'GET' && path.endsWith(`/leases/${lease}`)) counter.gets++;
      });
      return { kubeApi, counter };
    };

    it('a standby whose clock runs 20 s ahead never takes a lease that is being renewed', async function () {
      const a = candidate(api, 'skew-renewed', 'a', 0);
      let aLost = false;
      await a.run(() => (aLost = true));
      const { kubeApi, counter } = countingApi('skew-renewed');
      const b = candidate(kubeApi, 'skew-renewed', 'b', SKEW_MS);
      let bLeads = false;
      void b.run(() => undefined).then(() => (bLeads = true));
      // Attempts are at least a retry period apart: 15 of them span well over the 4 s lease duration.
      await until('15 attempts of the standby', () => counter.gets >= 15, 60_000);
      expect({ aLeads: a.isLeader, aLost, bLeads }).to.deep.equal({ aLeads: true, aLost: false, bLeads: false });
      await a.release();
      // A loaded machine may abort the release's PUT (renew deadline): b then takes over once the lease it observed
      // stays unrenewed for its duration. Either way it leads; the deadline leaves room for a slow API server.
      await until('the standby leads after release', () => bLeads, 90_000);
      await b.release();
    });

    it('a hung leader steps down before a skewed standby takes over, within the lease duration plus a retry period', async function () {
      await withProxy(async (proxy) => {
        const viaProxy = new KubeApi(proxy.kubeConfig());
        const a = candidate(viaProxy, 'skew-hung', 'a', 0);
        let aLost = false;
        await a.run(() => (aLost = true));
        const { kubeApi, counter } = countingApi('skew-hung');
        const b = candidate(kubeApi, 'skew-hung', 'b', SKEW_MS);
        let aAtTakeover: { aLeads: boolean; aLost: boolean } | undefined;
        const bRun = b.run(() => undefined).then(() => (aAtTakeover = { aLeads: a.isLeader, aLost }));
        await until('3 attempts of the standby', () => counter.gets >= 3, 60_000);
        expect(aAtTakeover, 'b took a renewed lease').to.equal(undefined);
        // The leader's API server stops answering: its renew requests hang.
        proxy.blackhole();
        const attemptsBefore = counter.gets;
        await bRun;
        expect(aAtTakeover).to.deep.equal({ aLeads: false, aLost: true });
        // Attempts are at least a retry period apart, so the standby needed at most the lease duration plus a
        // retry period once the lease stopped changing (one more for a renewal in flight at the blackhole).
        expect(counter.gets - attemptsBefore).to.be.at.most((DURATION_S * 1000) / PERIOD_MS + 3);
        await b.release();
      });
    });
  });
});
