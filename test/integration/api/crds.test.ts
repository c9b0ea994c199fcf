// The CRDs from api/ on a real kube-apiserver: they install, the examples are accepted, and every bad input
// the unit tests reject is rejected by the server too, naming the same field (schema and CEL alike).
import { basename } from 'node:path';
import { expect } from 'chai';
import { crdManifests } from '../../../api/generated/crds.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { badClusters, goodClusters } from '../../fixtures/bad-clusters.js';
import { exampleFiles, loadExample } from '../../fixtures/examples.js';
import { installCrds, rawApi, type RawApi } from '../support/raw-api.js';

const examples = exampleFiles.map((f) => basename(f));

describe('CRDs on the real API server', function () {
  let cp: ControlPlane;
  let api: RawApi;

  before(async function () {
    cp = await startControlPlane();
    api = rawApi(cp);
    await installCrds(api, crdManifests);
  });

  after(async function () {
    await cp.stop();
  });

  it('serves every open-local kind with its short name', async function () {
    const r = await api.call('GET', '/apis/csi.aliyun.com/v1alpha1');
    const served = (r.body.resources as { kind: string; shortNames?: string[] }[]).filter((x) => x.shortNames);
    expect(Object.fromEntries(served.map((x) => [x.kind, x.shortNames]))).to.deep.equal({
      LocalVolume: ['olv'],
      NodeLocalStorage: ['nls'],
      NodeLocalStorageInitConfig: ['nlsc'],
      OpenLocalCluster: ['olc'],
    });
  });

  for (const file of examples) {
    it(`accepts ${file}`, async function () {
      const r = await api.create(loadExample(file) as never, { dryRun: true });
      expect(r.status, r.text).to.equal(201);
    });
  }

  for (const good of goodClusters) {
    it(`accepts ${good.name}`, async function () {
      const r = await api.create(good.cluster as never, { dryRun: true });
      expect(r.status, r.text).to.equal(201);
    });
  }

  for (const bad of badClusters) {
    it(`rejects ${bad.name}, naming ${bad.field}`, async function () {
      const r = await api.create(bad.cluster as never, { dryRun: true });
      expect(r.status, r.text).to.be.oneOf([400, 422]);
      expect(String(r.body.message)).to.include(bad.field);
    });
  }

  it('applies the defaults the validator applies', async function () {
    const created = await api.create(loadExample('minimal.yaml') as never, { dryRun: true });
    const spec = created.body.spec as Record<string, unknown>;
    expect(spec.namespace).to.equal('open-local');
    expect((spec.storageClasses as unknown[]).length).to.equal(5);
    expect((spec.extender as Record<string, unknown>).strategy).to.equal('spread');
    expect((spec.cleanup as Record<string, unknown>).policy).to.equal('Keep');
  });

  it('refuses to change spec.namespace of an existing OpenLocalCluster', async function () {
    const cluster = loadExample('minimal.yaml') as { metadata: { name: string } };
    const created = await api.create(cluster as never);
    expect(created.status, created.text).to.equal(201);
    const r = await api.call(
      'PATCH',
      `/apis/csi.aliyun.com/v1alpha1/openlocalclusters/${cluster.metadata.name}`,
      { spec: { namespace: 'elsewhere' } },
      'application/merge-patch+json',
    );
    expect(r.status, r.text).to.equal(422);
    expect(String(r.body.message)).to.include('spec.namespace').and.include('immutable');
  });
});
