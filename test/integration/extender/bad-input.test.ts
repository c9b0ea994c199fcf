// The extender process against bad requests and an API server without its CRDs yet: it answers 4xx with a
// message or per-node reasons, stays not-ready until every cache has synced, and never exits.
import { expect } from 'chai';
import { crdManifests } from '../../../api/generated/crds.js';
import { KubeApi } from '../../../lib/kube-api.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { freePorts, httpGet, waitFor } from '../../env/net.js';
import { startProcess, tailFile, type ManagedProcess } from '../../env/processes.js';
import { repoRoot } from '../../fixtures/examples.js';
import { nls, podWithClaims, pvc, storageClass } from '../../unit/extender/objects.js';
import { installCrds, rawApi } from '../support/raw-api.js';
import { volumeSnapshotCrd } from '../support/snapshot-crds.js';
import { join } from 'node:path';
import { postJson } from '../support/http.js';


describe('extender process: bad input and readiness', function () {
  this.timeout(180_000);
  let cp: ControlPlane;
  let extender: ManagedProcess;
  let port = 0;

  before(async () => {
    cp = await startControlPlane();
    [port = 0] = await freePorts(1);
    // Started before its CRDs exist: it must wait, not answer from empty caches.
    extender = startProcess({
      name: 'open-local-extender',
      command: process.execPath,
      args: [join(repoRoot, 'bin', 'open-local.js'), 'extender', `--port=${port}`, '--bind-address=127.0.0.1', `--kubeconfig=${cp.kubeconfigPath}`, '--max-request-bytes=1048576'],
      logPath: join(cp.dir, 'extender.log'),
      cwd: repoRoot,
    });
    await waitFor('extender listening', async () => (await httpGet(`http://127.0.0.1:${port}/healthz`)).status === 200, { timeoutMs: 60_000, abort: () => (extender.exitInfo() ? 'exited' : undefined) });
  });

  after(async () => {
    await extender.stop();
    await cp.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.error(tailFile(extender.logPath, 30));
  });

  it('stays not ready, and its filter says so, until the caches of its CRDs have synced', async () => {
    const readyz = await httpGet(`http://127.0.0.1:${port}/readyz`);
    expect(readyz.status).to.equal(503);
    expect(readyz.body).to.include('nodelocalstorages').and.to.include('localvolumes');
    const filter = await postJson(port, '/scheduler/predicates', JSON.stringify({ Pod: { metadata: { name: 'p' } }, NodeNames: ['n1'] }));
    // Which built-in caches have synced by now depends on the machine's load; the CRD-backed ones cannot have.
    const answer = JSON.parse(filter.text) as { NodeNames?: string[]; Error?: string };
    expect(answer.NodeNames).to.deep.equal([]);
    expect(answer.Error).to.match(/^open-local extender not ready: waiting for the caches of /).and.to.include('nodelocalstorages').and.to.include('localvolumes');
    await installCrds(rawApi(cp), [...crdManifests, volumeSnapshotCrd]);
    await waitFor('extender ready', async () => (await httpGet(`http://127.0.0.1:${port}/readyz`)).status === 200, { timeoutMs: 90_000, intervalMs: 250 });
  });

  describe('bad requests', () => {
    before(async () => {
      const api = new KubeApi(cp.adminKubeConfig());
      await api.createIfAbsent({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
      await api.createIfAbsent({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } });
      await api.createIfAbsent(storageClass('open-local-lvm', { volumeType: 'LVM' }));
      await api.createIfAbsent(pvc('team-b', 'data', 'open-local-lvm', '1Gi'));
      const node = nls('n1', { vgs: { vg: 10 } });
      await api.createIfAbsent({ ...node, status: undefined });
      await api.mergePatch(node, { status: node.status }, 'status');
      await waitFor('the extender to see n1', async () => (await httpGet(`http://127.0.0.1:${port}/cache?nodeName=n1`)).status === 200, { timeoutMs: 30_000 });
    });

    const table: [string, string, string | Buffer, number, string][] = [
      ['malformed JSON', '/scheduler/predicates', '{"Pod":{', 400, 'body is not JSON'],
      ['Nodes instead of NodeNames', '/scheduler/predicates', JSON.stringify({ Pod: { metadata: { name: 'p' } }, Nodes: { items: [{ metadata: { name: 'n1' } }] }, NodeNames: null }), 400, 'configure this extender with nodeCacheCapable: true'],
      ['a missing pod', '/scheduler/priorities', JSON.stringify({ NodeNames: ['n1'] }), 400, 'ExtenderArgs.Pod is missing'],
      ['a huge body', '/scheduler/predicates', Buffer.alloc(8 * 1024 * 1024, ' '), 413, 'request body larger than 1048576 bytes'],
      ['an unknown PVC in the scheduling API', '/apis/scheduling/team-a/persistentvolumeclaims/nope?nodeName=n1', '', 404, 'PersistentVolumeClaim "team-a/nope" not found'],
    ];
    for (const [name, path, body, status, message] of table) {
      it(`answers ${status} to ${name}, and keeps running`, async () => {
        const answer = await postJson(port, path, body).catch((err: unknown) => ({ status: -1, text: String(err) }));
        expect(answer.status, answer.text).to.equal(status);
        expect(answer.text).to.include(message);
        expect(extender.exitInfo()).to.equal(undefined);
        expect((await httpGet(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);
      });
    }

    it('fails unknown nodes and a claim from another namespace with per-node reasons', async () => {
      const unknown = await postJson(port, '/scheduler/predicates', JSON.stringify({ Pod: podWithClaims('team-b', 'p', ['data']), NodeNames: ['n1', 'ghost'] }));
      expect(JSON.parse(unknown.text)).to.deep.include({ NodeNames: ['n1'], FailedAndUnresolvableNodes: { ghost: 'no open-local storage on this node (no NodeLocalStorage status)' } });
      const otherNamespace = await postJson(port, '/scheduler/predicates', JSON.stringify({ Pod: podWithClaims('team-a', 'p', ['data']), NodeNames: ['n1'] }));
      expect(JSON.parse(otherNamespace.text)).to.deep.include({ NodeNames: [], FailedAndUnresolvableNodes: { n1: 'PersistentVolumeClaim "team-a/data" (volume "v0") not found' } });
    });
  });
});
