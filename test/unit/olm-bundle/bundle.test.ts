import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { parse } from 'yaml';
import { ALLOWED_MANIFEST_KINDS, renderBundle } from '../../../olm-bundle/bundle.js';
import { readBundleInputs } from '../../../olm-bundle/io.js';
import { shippedClusterRoles } from '../../../synth/install/operator-install.js';
import { isJsonObject, repoRoot } from '../../fixtures/examples.js';
import { at, committed, committedCsv, generatedFiles, manifests } from './committed.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node bin/open-local.js ARGS` with Node 24 first on PATH; reports the exit code, never rejects. */
function openLocal(...args: string[]): Promise<Run> {
  const path = `${join(repoRoot, '.tools', 'node', 'bin')}:${process.env.PATH ?? ''}`;
  return new Promise((resolve) => {
    execFile('node', ['bin/open-local.js', ...args], { cwd: repoRoot, env: { ...process.env, PATH: path } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

describe('olm-bundle: the committed bundle', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'open-local-bundle-test-'));
  let regenerate: Run;
  let noOutput: Run;

  before(async function () {
    this.timeout(60_000);
    [regenerate, noOutput] = await Promise.all([openLocal('bundle', '-o', join(tmp, 'bundle')), openLocal('bundle')]);
  });

  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('is what `open-local bundle -o DIR` generates, byte for byte', () => {
    expect(regenerate.code, regenerate.stderr).to.equal(0);
    const fresh = generatedFiles(join(tmp, 'bundle'));
    const stale = [...new Set([...fresh.keys(), ...committed.keys()])].filter((f) => fresh.get(f) !== committed.get(f)).sort();
    expect(stale, `olm-bundle/ is out of date (${stale.join(', ')}): run npm run bundle`).to.deep.equal([]);
  });

  it('renders byte-identical files twice in a row (no timestamps, stable order)', () => {
    const inputs = readBundleInputs();
    expect([...renderBundle(inputs)]).to.deep.equal([...renderBundle(inputs)]);
  });

  it('bundle without -o exits 2 and says -o is required', () => {
    expect(noOutput.code).to.equal(2);
    expect(noOutput.stderr).to.contain('-o DIR is required');
  });

  it('holds the CSV, the four CRDs, the ClusterRoles the operator binds, metadata/annotations.yaml and bundle.Dockerfile, nothing else', () => {
    const roles = shippedClusterRoles().map((r) => `manifests/${r.metadata?.name ?? ''}_rbac.authorization.k8s.io_v1_clusterrole.yaml`);
    expect(roles).to.include('manifests/open-local-operator-operands_rbac.authorization.k8s.io_v1_clusterrole.yaml');
    expect([...committed.keys()].sort()).to.deep.equal([
      ...roles,
      'bundle.Dockerfile',
      'manifests/csi.aliyun.com_localvolumes.yaml',
      'manifests/csi.aliyun.com_nodelocalstorageinitconfigs.yaml',
      'manifests/csi.aliyun.com_nodelocalstorages.yaml',
      'manifests/csi.aliyun.com_openlocalclusters.yaml',
      'manifests/open-local-operator.clusterserviceversion.yaml',
      'metadata/annotations.yaml',
    ].sort());
  });

  it('has only kinds a registry+v1 bundle may hold in manifests/ (no CSIDriver, StorageClass, DaemonSet)', () => {
    for (const [file, object] of manifests) expect(ALLOWED_MANIFEST_KINDS, file).to.include(object.kind);
    expect(ALLOWED_MANIFEST_KINDS).not.to.include.members(['CSIDriver', 'StorageClass', 'DaemonSet', 'Deployment', 'Namespace']);
  });

  it('ships no ServiceAccount named like a CSV deployment\'s serviceAccountName (OLM creates those)', () => {
    const deployments = at(committedCsv(), 'spec', 'install', 'spec', 'deployments');
    const accounts = (Array.isArray(deployments) ? deployments : []).map((d) => at(d, 'spec', 'template', 'spec', 'serviceAccountName'));
    expect(accounts).to.deep.equal(['open-local-operator']);
    const bundled = [...manifests.values()].filter((o) => o.kind === 'ServiceAccount').map((o) => at(o, 'metadata', 'name'));
    expect(bundled.filter((name) => accounts.includes(name))).to.deep.equal([]);
  });

  it('is well under the 1 MiB (gzip + base64) bundle size limit', () => {
    const text = [...committed.values()].join('');
    const encoded = gzipSync(Buffer.from(text)).toString('base64').length;
    expect(encoded).to.be.below(0.85 * 1024 * 1024);
  });

  it('annotations.yaml has the registry+v1 keys: package open-local-operator, channel and default channel stable', () => {
    const doc: unknown = parse(committed.get('metadata/annotations.yaml') ?? '');
    expect(isJsonObject(doc) ? doc.annotations : undefined).to.deep.equal({
      'operators.operatorframework.io.bundle.mediatype.v1': 'registry+v1',
      'operators.operatorframework.io.bundle.manifests.v1': 'manifests/',
      'operators.operatorframework.io.bundle.metadata.v1': 'metadata/',
      'operators.operatorframework.io.bundle.package.v1': 'open-local-operator',
      'operators.operatorframework.io.bundle.channels.v1': 'stable',
      'operators.operatorframework.io.bundle.channel.default.v1': 'stable',
    });
  });

  it('bundle.Dockerfile is FROM scratch, labels every annotation, and copies manifests/ and metadata/', () => {
    const doc: unknown = parse(committed.get('metadata/annotations.yaml') ?? '');
    const annotations = isJsonObject(doc) && isJsonObject(doc.annotations) ? doc.annotations : {};
    const lines = (committed.get('bundle.Dockerfile') ?? '').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines[0]).to.equal('FROM scratch');
    const labels = Object.fromEntries(
      lines.filter((l) => l.startsWith('LABEL ')).map((l) => l.slice('LABEL '.length).split('=') as [string, string]),
    );
    expect(labels).to.deep.equal(annotations);
    expect(lines.filter((l) => l.startsWith('COPY '))).to.deep.equal(['COPY manifests /manifests/', 'COPY metadata /metadata/']);
  });
});
