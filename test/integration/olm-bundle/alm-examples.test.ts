// The bundle's CRDs on a real kube-apiserver, and every alm-example (what OperatorHub pre-fills in its
// "create" form) accepted by them: a server-side dry-run create with strict field validation.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { CSV_FILE } from '../../../olm-bundle/bundle.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { isJsonObject, repoRoot, type JsonObject } from '../../fixtures/examples.js';
import { rawApi, waitEstablished, type KubeObjectLike, type RawApi } from '../support/raw-api.js';

const bundleDir = join(repoRoot, 'olm-bundle');

function readObject(file: string): JsonObject {
  const doc: unknown = parse(readFileSync(join(bundleDir, file), 'utf8'));
  if (!isJsonObject(doc)) throw new Error(`${file} does not hold one YAML object`);
  return doc;
}

function asKubeObject(o: unknown, what: string): KubeObjectLike {
  const meta = isJsonObject(o) ? o.metadata : undefined;
  if (!isJsonObject(o) || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || !isJsonObject(meta) || typeof meta.name !== 'string') {
    throw new Error(`${what} is not a Kubernetes object`);
  }
  return o as unknown as KubeObjectLike;
}

const crds = readdirSync(join(bundleDir, 'manifests'))
  .sort()
  .map((f) => readObject(join('manifests', f)))
  .filter((o) => o.kind === 'CustomResourceDefinition')
  .map((o, i) => asKubeObject(o, `CRD #${i}`));

const csv = readObject(CSV_FILE);
const annotations = isJsonObject(csv.metadata) && isJsonObject(csv.metadata.annotations) ? csv.metadata.annotations : {};
const almExamples = annotations['alm-examples'];
if (typeof almExamples !== 'string') throw new Error(`${CSV_FILE} has no alm-examples annotation: run npm run bundle`);
const examplesJson: unknown = JSON.parse(almExamples);
const examples = (Array.isArray(examplesJson) ? examplesJson : []).map((e, i) => asKubeObject(e, `alm-examples[${i}]`));

describe('olm-bundle: alm-examples on the real API server', function () {
  let cp: ControlPlane;
  let api: RawApi;

  before(async function () {
    cp = await startControlPlane();
    api = rawApi(cp);
    for (const crd of crds) {
      const r = await api.apply(crd);
      expect(r.status, `${crd.metadata.name}: ${r.text}`).to.be.oneOf([200, 201]);
    }
    await waitEstablished(api, crds.map((c) => c.metadata.name));
  });

  after(async function () {
    await cp.stop();
  });

  it('installs the four bundle CRDs', () => {
    expect(crds.map((c) => c.metadata.name)).to.have.length(4);
  });

  it('has at least one example', () => {
    expect(examples).to.have.length.greaterThan(0);
  });

  examples.forEach((example, i) => {
    it(`accepts alm-examples[${i}] (${example.kind} ${example.metadata.name}) with dryRun=All and strict field validation`, async () => {
      const r = await api.create(example, { dryRun: true });
      expect(r.status, r.text).to.equal(201);
      expect(r.text, 'strict validation warned about a field').not.to.match(/unknown field|duplicate field/i);
    });
  });
});
