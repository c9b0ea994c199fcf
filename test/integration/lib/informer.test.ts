// The informer against a real API server, directly and through a misbehaving proxy: synced means the first
// LIST is stored; the LIST raises events; 429/5xx on the first LIST, 410 Gone and bookmarks are handled.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Informer, type InformerEvent } from '../../../lib/informer.js';
import { KubeApi } from '../../../lib/kube-api.js';
import type { KubeObject } from '../../../lib/kube-object.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { createLogger } from '../../../lib/log.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { startApiProxy, type ApiProxy } from '../support/api-proxy.js';
import { until } from '../support/until.js';

type ConfigMap = KubeObject & { data?: Record<string, string> };

describe('informer on a real API server', function () {
  let cp: ControlPlane;
  let api: KubeApi;
  let proxy: ApiProxy;
  let dir: string;
  const log = createLogger('test', 'silent');
  const running: Informer<ConfigMap>[] = [];
  const N = 25;

  /** A fresh namespace holding `count` ConfigMaps cm-0..cm-(count-1). */
  const namespaceWith = async (ns: string, count: number): Promise<string> => {
    await api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    for (let i = 0; i < count; i++) await api.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } } });
    return `/api/v1/namespaces/${ns}/configmaps`;
  };

  /** An informer of the ConfigMaps in `ns` that records every event, with a short backoff so retries are quick. */
  const informer = (ns: string, viaProxy: boolean) => {
    const kc = viaProxy ? proxy.kubeConfig() : loadKubeConfig(cp.kubeconfigPath);
    const inf = new Informer<ConfigMap>(new KubeApi(kc), { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, backoff: () => 50 }, log);
    const events: [InformerEvent, string][] = [];
    inf.onEvent((e, obj) => {
      events.push([e, obj.metadata?.name ?? '']);
    });
    running.push(inf);
    return { inf, events };
  };

  const synced = (inf: Informer<ConfigMap>): Promise<void> =>
    Promise.race([inf.synced, until('informer synced', () => inf.hasSynced, 60_000)]);

  before(async function () {
    cp = await startControlPlane();
    api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    dir = await mkdtemp(join(tmpdir(), 'informer-test-'));
    proxy = await startApiProxy(cp, dir);
  });

  afterEach(async function () {
    await Promise.all(running.splice(0).map((i) => i.stop()));
  });

  after(async function () {
    await (proxy as ApiProxy | undefined)?.close();
    await (cp as ControlPlane | undefined)?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is synced only once the first LIST is stored, and raises an add for each listed object', async function () {
    await namespaceWith('existing', N);
    const { inf, events } = informer('existing', false);
    void inf.start();
    await synced(inf);
    expect(inf.hasSynced).to.equal(true);
    expect(inf.list()).to.have.length(N);
    expect(inf.get('cm-7', 'existing')?.data).to.deep.equal({ i: '7' });
    expect(events.filter(([e]) => e === 'add')).to.have.length(N);
  });

  it('lists in pages and caches each object as its transform reduced it, watch events included', async function () {
    const collection = await namespaceWith('paged', N);
    const kc = proxy.kubeConfig();
    const inf = new Informer<ConfigMap>(new KubeApi(kc), { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'paged', pageSize: 10, transform: (cm) => ({ metadata: cm.metadata, data: { i: cm.data?.i ?? '' } }) }, log);
    running.push(inf);
    void inf.start();
    await synced(inf);
    expect(proxy.listCount(collection), 'pages of 10').to.equal(3);
    expect(inf.list()).to.have.length(N);
    await api.request('POST', collection, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-new' }, data: { i: 'new', big: 'x'.repeat(1000) } } });
    await until('the new ConfigMap cached', () => inf.get('cm-new', 'paged') !== undefined, 60_000);
    expect(inf.get('cm-new', 'paged')?.data).to.deep.equal({ i: 'new' });
  });

  it('retries a first LIST answered 429 then 500, and is synced only with the full list', async function () {
    const collection = await namespaceWith('flaky', N);
    proxy.failLists(collection, [429, 500]);
    const { inf, events } = informer('flaky', true);
    await inf.start();
    expect(inf.hasSynced, 'synced after a failed LIST').to.equal(false);
    await synced(inf);
    expect(proxy.listCount(collection)).to.equal(3);
    expect(inf.list()).to.have.length(N);
    expect(events).to.have.length(N);
  });

  it('re-lists after 410 Gone and raises what changed while the watch was down', async function () {
    const collection = await namespaceWith('expiring', 3);
    const { inf, events } = informer('expiring', true);
    await inf.start();
    await synced(inf);
    await until('a watch open', () => proxy.openWatches(collection) === 1);
    proxy.holdWatches(collection);
    events.length = 0;
    await api.request('DELETE', `${collection}/cm-0`);
    await api.request('PATCH', `${collection}/cm-1`, { body: { data: { i: 'changed' } }, contentType: 'application/merge-patch+json' });
    await api.request('POST', collection, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-new' } } });
    expect(events, 'held watch delivered nothing').to.deep.equal([]);
    const listsBefore = proxy.listCount(collection);
    proxy.expireWatches(collection);
    await until('the changes raised', () => events.length >= 3);
    expect([...events].sort()).to.deep.equal([['add', 'cm-new'], ['delete', 'cm-0'], ['update', 'cm-1']]);
    expect(proxy.listCount(collection)).to.equal(listsBefore + 1);
    expect(inf.list().map((c) => c.metadata?.name).sort()).to.deep.equal(['cm-1', 'cm-2', 'cm-new']);
    expect(inf.get('cm-1', 'expiring')?.data).to.deep.equal({ i: 'changed' });
  });

  it('takes a bookmark as the new resourceVersion without raising events', async function () {
    const collection = await namespaceWith('bookmarked', 2);
    const { inf, events } = informer('bookmarked', true);
    await inf.start();
    await synced(inf);
    await until('a watch open', () => proxy.openWatches(collection) === 1);
    // A change elsewhere moves the cluster's resourceVersion past what this informer has seen.
    await api.request('POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'elsewhere' } } });
    const current = (await api.list('v1', 'ConfigMap', { namespace: 'default' })).metadata.resourceVersion;
    events.length = 0;
    const watchesBefore = proxy.watchVersions(collection).length;
    proxy.bookmark(collection, 'v1', 'ConfigMap', current);
    proxy.endWatches(collection);
    await until('a new watch', () => proxy.watchVersions(collection).length > watchesBefore);
    expect(proxy.watchVersions(collection).at(-1)).to.equal(current);
    expect(events).to.deep.equal([]);
    expect(inf.list()).to.have.length(2);
    await api.request('POST', collection, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-bookmark' } } });
    await until('the watch still delivers', () => events.length === 1);
    expect(events).to.deep.equal([['add', 'after-bookmark']]);
  });

  it('stops at once while its LIST hangs on an API server that does not answer', async function () {
    const hung = await startApiProxy(cp, dir);
    try {
      hung.blackhole();
      const kc = hung.kubeConfig();
      const inf = new Informer<ConfigMap>(new KubeApi(kc), { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default' }, log);
      const started = inf.start();
      await until('discovery or the LIST sent', () => hung.listCount('/api/v1/namespaces/default/configmaps') + hung.listCount('/api/v1') > 0);
      // The request itself would time out after 60 s; stopping must not wait for that.
      const stopped = inf.stop().then(() => 'stopped');
      const outcome = await Promise.race([
        stopped,
        new Promise((r) => {
          setTimeout(() => {
            r('still waiting after 30 s');
          }, 30_000).unref();
        }),
      ]);
      expect(outcome).to.equal('stopped');
      await started;
      expect(inf.hasSynced).to.equal(false);
    } finally {
      await hung.close();
    }
  });
});
