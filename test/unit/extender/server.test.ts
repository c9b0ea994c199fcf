import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { AllocatorOptions } from '../../../extender/allocator/types.js';
import { Evaluator } from '../../../extender/evaluator.js';
import { extenderMetrics } from '../../../extender/metrics.js';
import { startExtenderServer, type ExtenderServer } from '../../../extender/server.js';
import { ClusterState } from '../../../extender/state/cluster-state.js';
import { createLogger } from '../../../lib/log.js';
import { createPki } from '../../env/pki.js';
import { lvmPv, nls, podWithClaims, pvc, storageClass } from './objects.js';

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly json: () => unknown;
}

function call(port: number, method: string, path: string, body?: string | Buffer, tls?: { ca: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = tls ? httpsRequest : httpRequest;
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json' }, ...(tls ? { ca: tls.ca, servername: 'localhost' } : {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) as unknown });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const SC = 'open-local-lvm';
const allocator: AllocatorOptions = { strategy: 'binpack' };

function fixtureState(): ClusterState {
  const state = new ClusterState();
  state.onStorageClass('add', storageClass(SC, { volumeType: 'LVM' }));
  state.onNodeLocalStorage('add', nls('n1', { vgs: { vg: 100 } }));
  state.onNodeLocalStorage('add', nls('n2', { vgs: { vg: 100 } }));
  state.onPersistentVolume('add', lvmPv('pvc-old', 'n1', 'vg', '70Gi', { namespace: 'ns', name: 'old' }));
  state.onPersistentVolumeClaim('add', pvc('ns', 'data', SC, '50Gi', { uid: 'u-data' }));
  state.onPersistentVolumeClaim('add', pvc('ns', 'small', SC, '10Gi', { uid: 'u-small' }));
  return state;
}

async function start(state: ClusterState, extra: { notReady?: () => string | undefined; tls?: { cert: Buffer; key: Buffer }; maxBodyBytes?: number } = {}): Promise<ExtenderServer> {
  const registry = new Registry();
  return startExtenderServer({
    host: '127.0.0.1',
    port: 0,
    tls: extra.tls,
    maxBodyBytes: extra.maxBodyBytes ?? 64 * 1024,
    requestTimeoutMs: 10_000,
    state,
    evaluator: new Evaluator(state, allocator),
    allocator,
    notReady: extra.notReady ?? (() => undefined),
    registry,
    metrics: extenderMetrics(registry, state),
    log: createLogger('extender-test', 'silent'),
  });
}

const args = (claims: string[], nodeNames: string[]) => JSON.stringify({ Pod: podWithClaims('ns', 'p', claims), Nodes: null, NodeNames: nodeNames });

describe('extender/server', () => {
  let server: ExtenderServer;
  let state: ClusterState;
  beforeEach(async () => {
    state = fixtureState();
    server = await start(state);
  });
  afterEach(async () => {
    await server.close();
  });

  it('filters in kube-scheduler wire format: PascalCase, only NodeNames sent, reasons per node', async () => {
    const answer = await call(server.port, 'POST', '/scheduler/predicates', args(['data'], ['n1', 'n2', 'ghost']));
    expect(answer.status).to.equal(200);
    expect(answer.json()).to.deep.equal({
      NodeNames: ['n2'],
      FailedNodes: {},
      FailedAndUnresolvableNodes: {
        n1: 'no volume group has 50Gi free for ns/data: the most free is "vg" with 30Gi (20Gi short)',
        ghost: 'no open-local storage on this node (no NodeLocalStorage status)',
      },
      Error: '',
    });
  });

  it('prioritizes with Host/Score pairs from 0 to 10', async () => {
    const answer = await call(server.port, 'POST', '/scheduler/priorities', args(['small'], ['n1', 'n2']));
    expect(answer.json()).to.deep.equal([
      { Host: 'n1', Score: 8 },
      { Host: 'n2', Score: 1 },
    ]);
  });

  it('passes every node for a pod without open-local volumes', async () => {
    const answer = await call(server.port, 'POST', '/scheduler/predicates', JSON.stringify({ Pod: { metadata: { name: 'plain', namespace: 'ns' }, spec: {} }, NodeNames: ['n1', 'x'] }));
    expect(answer.json()).to.include({ Error: '' }).and.to.deep.include({ NodeNames: ['n1', 'x'] });
  });

  describe('bad requests get a 4xx with a message, and the server keeps serving', () => {
    const table: [string, string, string | Buffer, number, string][] = [
      ['malformed JSON', '/scheduler/predicates', '{"Pod": ', 400, 'body is not JSON: Unexpected end of JSON input'],
      ['a JSON array', '/scheduler/priorities', '[]', 400, 'body must be a JSON object (ExtenderArgs)'],
      ['Nodes instead of NodeNames (nodeCacheCapable off)', '/scheduler/predicates', JSON.stringify({ Pod: { metadata: { name: 'p' } }, Nodes: { items: [] } }), 400, 'ExtenderArgs carries Nodes, not NodeNames: configure this extender with nodeCacheCapable: true'],
      ['no NodeNames at all', '/scheduler/predicates', JSON.stringify({ Pod: { metadata: { name: 'p' } } }), 400, 'ExtenderArgs.NodeNames is missing'],
      ['a missing pod', '/scheduler/predicates', JSON.stringify({ NodeNames: ['n1'] }), 400, 'ExtenderArgs.Pod is missing or has no metadata.name'],
      ['NodeNames that are not names', '/scheduler/priorities', JSON.stringify({ Pod: { metadata: { name: 'p' } }, NodeNames: [1] }), 400, 'ExtenderArgs.NodeNames must be a list of node names'],
      ['a volume that is not an object', '/scheduler/predicates', JSON.stringify({ Pod: { metadata: { name: 'p' }, spec: { volumes: [null] } }, NodeNames: [] }), 400, 'ExtenderArgs.Pod.spec.volumes[0] must be an object with a name'],
      ['a claim name that is not a string', '/scheduler/predicates', JSON.stringify({ Pod: { metadata: { name: 'p' }, spec: { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 7 } }] } }, NodeNames: [] }), 400, 'ExtenderArgs.Pod.spec.volumes[0].persistentVolumeClaim.claimName must be a string'],
      ['a body over the limit', '/scheduler/predicates', Buffer.alloc(65 * 1024, ' '), 413, 'request body larger than 65536 bytes'],
    ];
    for (const [name, path, body, status, message] of table) {
      it(name, async () => {
        const answer = await call(server.port, 'POST', path, body);
        expect([answer.status, answer.text.trim()]).to.deep.equal([status, message]);
        expect((await call(server.port, 'GET', '/healthz')).status).to.equal(200);
      });
    }
    it('a wrong method and an unknown path', async () => {
      expect((await call(server.port, 'GET', '/scheduler/predicates')).status).to.equal(405);
      expect((await call(server.port, 'POST', '/scheduler/bind', '{}')).status).to.equal(404);
    });
    it('a claim in another namespace fails every node with the reason', async () => {
      const body = JSON.stringify({ Pod: podWithClaims('elsewhere', 'p', ['data']), NodeNames: ['n1', 'n2'] });
      const reason = 'PersistentVolumeClaim "elsewhere/data" (volume "v0") not found';
      expect((await call(server.port, 'POST', '/scheduler/predicates', body)).json()).to.deep.include({ NodeNames: [], FailedAndUnresolvableNodes: { n1: reason, n2: reason } });
    });
  });

  it('serves the scheduling API CSI CreateVolume calls, and 400/404 for bad ones', async () => {
    const ok = await call(server.port, 'POST', '/apis/scheduling/ns/persistentvolumeclaims/small?nodeName=n2');
    expect([ok.status, ok.json()]).to.deep.equal([200, { node: 'n2', volumeType: 'LVM', persistentVolumeClaim: 'ns/small', vgName: 'vg' }]);
    const full = await call(server.port, 'POST', '/apis/scheduling/ns/persistentvolumeclaims/data?nodeName=n1');
    expect([full.status, full.text.trim()]).to.deep.equal([500, 'Insufficient storage: node "n1": no volume group has 50Gi free for ns/data: the most free is "vg" with 30Gi (20Gi short)']);
    expect((await call(server.port, 'POST', '/apis/scheduling/ns/persistentvolumeclaims/small')).status).to.equal(400);
    expect((await call(server.port, 'POST', '/apis/scheduling/ns/persistentvolumeclaims/none?nodeName=n1')).status).to.equal(404);
  });

  it('shows a node in /cache, and 400 for an unknown node', async () => {
    const answer = await call(server.port, 'GET', '/cache?nodeName=n1');
    expect(answer.json()).to.deep.include({ name: 'n1', volumeGroups: [{ name: 'vg', capacity: 100 * 1024 ** 3, used: 70 * 1024 ** 3 }], volumes: 1 });
    expect((await call(server.port, 'GET', '/cache?nodeName=ghost')).status).to.equal(400);
  });

  it("exports Open-Local's local_* gauges and its own latency and sync metrics", async () => {
    await call(server.port, 'POST', '/scheduler/predicates', args(['data'], ['n1']));
    const text = (await call(server.port, 'GET', '/metrics')).text;
    expect(text).to.include('local_volume_group_total{nodename="n1",vgname="vg"} 107374182400');
    expect(text).to.include('local_volume_group_used{nodename="n1",vgname="vg"} 75161927680');
    expect(text).to.include('local_local_pv{nodename="n1",pv_name="pvc-old",pv_type="LVM",pvc_name="old",pvc_ns="ns",status="",storage_name="vg"} 75161927680');
    expect(text).to.match(/open_local_extender_request_duration_seconds_count\{route="predicates",code="200"\} 1/);
  });

  it('is not ready, and says so in filter answers, until every cache has synced', async () => {
    let missing: string | undefined = 'waiting for the caches of pods';
    const notReady = await start(state, { notReady: () => missing });
    try {
      expect((await call(notReady.port, 'GET', '/readyz')).status).to.equal(503);
      expect((await call(notReady.port, 'POST', '/scheduler/predicates', args(['data'], ['n2']))).json()).to.deep.include({ NodeNames: [], Error: 'open-local extender not ready: waiting for the caches of pods' });
      expect((await call(notReady.port, 'POST', '/scheduler/priorities', args(['data'], ['n2']))).status).to.equal(503);
      missing = undefined;
      expect((await call(notReady.port, 'GET', '/readyz')).status).to.equal(200);
      expect((await call(notReady.port, 'POST', '/scheduler/predicates', args(['data'], ['n2']))).json()).to.deep.include({ NodeNames: ['n2'] });
    } finally {
      await notReady.close();
    }
  });

  it('serves HTTPS with the given certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'extender-tls-'));
    try {
      const pki = await createPki(dir, ['localhost', '127.0.0.1']);
      const tlsServer = await start(state, { tls: { cert: readFileSync(pki.servingCertPath), key: readFileSync(pki.servingKeyPath) } });
      try {
        const answer = await call(tlsServer.port, 'POST', '/scheduler/predicates', args(['small'], ['n2']), { ca: pki.caCert });
        expect(answer.json()).to.deep.include({ NodeNames: ['n2'] });
      } finally {
        await tlsServer.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
