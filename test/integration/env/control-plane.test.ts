// The test control plane itself: fresh per start, real authn/RBAC, nothing left behind, and the
// optional kube-controller-manager / kube-scheduler (with an extender) doing their jobs.
import {
  ApiException,
  AppsV1Api,
  AuthenticationV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  type V1Node,
} from '@kubernetes/client-node';
import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { addReadyNode } from '../../env/fake-nodes.js';
import { waitFor } from '../../env/net.js';
import { peerPath, PeerMissingError } from '../../env/peers.js';
import { pidAlive } from '../../env/processes.js';

const statusOf = async (p: Promise<unknown>): Promise<number> => {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof ApiException) return err.code;
    throw err;
  }
};

async function expectStopped(cp: ControlPlane | undefined): Promise<void> {
  if (!cp) throw new Error('no control plane');
  const pids = cp.processes.map((p) => p.pid);
  expect(pids.every((pid) => pid > 0)).to.be.true;
  expect(pids.every(pidAlive), 'processes alive before stop').to.be.true;
  await cp.stop();
  expect(pids.filter(pidAlive), 'pids still alive after stop()').to.deep.equal([]);
  expect(existsSync(cp.dir), `${cp.dir} removed`).to.be.false;
}

describe('test control plane', function () {
  this.timeout(120_000);

  describe('a first control plane', () => {
    let cp: ControlPlane | undefined;
    before(async () => {
      cp = await startControlPlane();
    });
    after(async () => {
      await cp?.stop();
    });

    it('serves the API with authentication on', async () => {
      const core = cp!.adminKubeConfig().makeApiClient(CoreV1Api);
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'only-in-the-first' }, data: { a: 'b' } },
      });
      const cm = await core.readNamespacedConfigMap({ namespace: 'default', name: 'only-in-the-first' });
      expect(cm.data).to.deep.equal({ a: 'b' });
      const who = await cp!.adminKubeConfig().makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
      expect(who.status?.userInfo?.groups).to.include('system:masters');
    });

    it('leaves no process and no temp dir after stop()', async () => {
      expect(cp!.processes.map((p) => p.name)).to.deep.equal(['etcd', 'kube-apiserver']);
      await expectStopped(cp);
    });
  });

  describe('a second control plane', () => {
    let cp: ControlPlane | undefined;
    before(async () => {
      cp = await startControlPlane();
    });
    after(async () => {
      await cp?.stop();
    });

    it('is fresh: nothing from the first one is there', async () => {
      const core = cp!.adminKubeConfig().makeApiClient(CoreV1Api);
      expect(await statusOf(core.readNamespacedConfigMap({ namespace: 'default', name: 'only-in-the-first' }))).to.equal(
        404,
      );
    });

    it('gives a ServiceAccount token that RBAC refuses until a RoleBinding allows it', async () => {
      const ns = 'rbac-check';
      const kc = await cp!.kubeConfigForServiceAccount(ns, 'reader', { create: true });
      const who = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
      expect(who.status?.userInfo?.username).to.equal(`system:serviceaccount:${ns}:reader`);

      const asReader = kc.makeApiClient(CoreV1Api);
      expect(await statusOf(asReader.listNamespacedConfigMap({ namespace: ns }))).to.equal(403);

      const rbac = cp!.adminKubeConfig().makeApiClient(RbacAuthorizationV1Api);
      await rbac.createNamespacedRole({
        namespace: ns,
        body: {
          metadata: { name: 'read-configmaps' },
          rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
        },
      });
      await rbac.createNamespacedRoleBinding({
        namespace: ns,
        body: {
          metadata: { name: 'reader-reads-configmaps' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
          subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
        },
      });
      await waitFor('RoleBinding to take effect', async () => (await statusOf(asReader.listNamespacedConfigMap({ namespace: ns }))) === 200, {
        timeoutMs: 10_000,
      });
      // Still nothing beyond the Role.
      expect(await statusOf(asReader.listNamespacedSecret({ namespace: ns }))).to.equal(403);
    });

    it('leaves no process and no temp dir after stop()', async () => {
      await expectStopped(cp);
    });
  });

  describe('with kube-controller-manager and kube-scheduler (with an extender)', () => {
    let cp: ControlPlane | undefined;
    let extender: Server;
    const filtered: string[] = [];
    before(async () => {
      // A scheduler extender that rejects node-a, so the pod can only land on node-b.
      extender = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          // ExtenderArgs / ExtenderFilterResult have no json tags: the keys are Go field names.
          const args = JSON.parse(body) as { Pod?: { metadata?: { name?: string } }; Nodes?: { items?: V1Node[] } };
          filtered.push(args.Pod?.metadata?.name ?? '?');
          const items = args.Nodes?.items ?? [];
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              Nodes: { ...args.Nodes, items: items.filter((n) => n.metadata?.name !== 'node-a') },
              FailedNodes: { 'node-a': 'rejected by the test extender' },
            }),
          );
        });
      });
      await new Promise<void>((resolve) => extender.listen(0, '127.0.0.1', resolve));
      const addr = extender.address();
      if (addr === null || typeof addr === 'string') throw new Error('no extender address');
      cp = await startControlPlane({
        withControllerManager: true,
        withScheduler: {
          extenders: [{ urlPrefix: `http://127.0.0.1:${addr.port}`, filterVerb: 'filter', weight: 1, nodeCacheCapable: false }],
        },
      });
    });
    after(async () => {
      await new Promise<void>((resolve) => extender.close(() => { resolve(); }));
      await cp?.stop();
    });

    it('runs a Deployment: ReplicaSet, Pod, scheduled through the extender', async () => {
      const admin = cp!.adminKubeConfig();
      const core = admin.makeApiClient(CoreV1Api);
      for (const name of ['node-a', 'node-b']) await addReadyNode(admin, name);
      await admin.makeApiClient(AppsV1Api).createNamespacedDeployment({
        namespace: 'default',
        body: {
          metadata: { name: 'web' },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'registry.k8s.io/pause:3.10' }] },
            },
          },
        },
      });
      let nodeName: string | undefined;
      await waitFor(
        'the Deployment pod to be scheduled',
        async () => {
          const pods = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' });
          nodeName = pods.items[0]?.spec?.nodeName;
          return nodeName !== undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      expect(nodeName).to.equal('node-b');
      expect(filtered.some((n) => n.startsWith('web-'))).to.be.true;
      // The serviceaccount controller made the default ServiceAccount.
      await core.readNamespacedServiceAccount({ namespace: 'default', name: 'default' });
    });
  });

  describe('a control plane that cannot start', () => {
    it('throws with the log tail of the failing component and leaves nothing behind', async () => {
      const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('open-local-cp-')));
      let error: unknown;
      try {
        await startControlPlane({ apiServerFlags: ['--no-such-flag'] });
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message)
        .to.include('kube-apiserver did not start')
        .and.include('exited early')
        .and.include('unknown flag: --no-such-flag');
      const after = readdirSync(tmpdir()).filter((f) => f.startsWith('open-local-cp-') && !before.has(f));
      expect(after, 'temp dirs left behind').to.deep.equal([]);
    });
  });

  describe('a missing peer', () => {
    it('fails with a message saying how to get it', () => {
      const empty = mkdtempSync(join(tmpdir(), 'no-peers-'));
      try {
        const env = { OPEN_LOCAL_PEERS_DIR: empty, KUBEBUILDER_ASSETS: empty };
        expect(() => peerPath('kube-apiserver', env))
          .to.throw(PeerMissingError)
          .with.property('message')
          .that.includes('bash scripts/build-peers.sh kube')
          .and.includes('KUBEBUILDER_ASSETS');
        expect(() => peerPath('csi-sanity', env)).to.throw(/bash scripts\/build-peers\.sh csi-sanity/);
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    });
  });
});
