// Everything `open-local synth` renders must be accepted by a real API server exactly as the operator will
// send it: server-side apply, strict field validation, as a dry run.
import { basename } from 'node:path';
import { expect } from 'chai';
import { renderInstall, renderPrepareVgJob, renderStack, type KubeObject } from '../../../synth/render.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { exampleFiles, loadExample } from '../../fixtures/examples.js';
import { rawApi, waitEstablished, type KubeObjectLike, type RawApi } from '../support/raw-api.js';
import { volumeSnapshotClassCrd } from '../support/snapshot-crds.js';

const examples = exampleFiles.map((f) => basename(f));

describe('server-side dry-run of every rendered object', function () {
  let cp: ControlPlane;
  let api: RawApi;
  const install = renderInstall();

  before(async function () {
    cp = await startControlPlane();
    api = rawApi(cp);
    // What must exist for namespaced and custom objects to be validated: CRDs and namespaces, applied for real.
    const prerequisites: KubeObjectLike[] = [
      ...install.filter((o) => o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace'),
      volumeSnapshotClassCrd,
    ];
    for (const file of examples) prerequisites.push(...renderStack(loadExample(file)).filter((o) => o.kind === 'Namespace'));
    for (const o of prerequisites) {
      const r = await api.apply(o);
      expect(r.status, `${o.kind} ${o.metadata.name}: ${r.text}`).to.be.oneOf([200, 201]);
    }
    await waitEstablished(api, prerequisites.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name));
  });

  after(async function () {
    await cp.stop();
  });

  const cases: [string, () => KubeObject[]][] = [
    ['the operator install', () => install],
    ...examples.map((f): [string, () => KubeObject[]] => [
      `the operands of ${f}`,
      () => [...renderStack(loadExample(f)), renderPrepareVgJob(loadExample(f), 'worker-1.example.com', { 'node-role.example.com/database': 'true' })],
    ]),
  ];
  for (const [name, render] of cases) {
    it(`accepts ${name}`, async function () {
      const objects = render();
      expect(objects.length).to.be.greaterThan(5);
      const refused: string[] = [];
      for (const o of objects) {
        const r = await api.apply(o, { dryRun: true });
        if (r.status !== 200 && r.status !== 201) refused.push(`${o.kind}/${o.metadata.name}: ${r.status} ${String(r.body.message)}`);
      }
      expect(refused).to.deep.equal([]);
    });
  }
});
