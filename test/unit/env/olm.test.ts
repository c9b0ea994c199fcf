// The pure parts of the OLM test environment: the catalog's channel from the bundles' CSVs, the v+1 bundle the
// upgrade test serves, and where the OLM peers are looked up.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { version } from '../../../lib/version.js';
import { channelBlob, channelEntry, fbcYaml } from '../../env/olm/fbc.js';
import { nextPatchVersion, writeNextBundle } from '../../env/olm/next-bundle.js';
import { bundleCsv } from '../../env/olm.js';
import { cachedPeerPath, OLM_VERSION, olmCrdFiles, OPM_VERSION, PeerMissingError, peerPath } from '../../env/peers.js';

const csv = (name: string, extra: { replaces?: string; skipRange?: string; skips?: string[] } = {}) => ({
  apiVersion: 'operators.coreos.com/v1alpha1',
  kind: 'ClusterServiceVersion',
  metadata: { name, annotations: extra.skipRange === undefined ? {} : { 'olm.skipRange': extra.skipRange } },
  spec: { version: name.split('.v')[1], ...(extra.replaces ? { replaces: extra.replaces } : {}), ...(extra.skips ? { skips: extra.skips } : {}) },
});

describe('OLM test environment: the file-based catalog', () => {
  it("takes a channel entry's replaces, skips and skipRange from the CSV", () => {
    expect(channelEntry(csv('p.v0.1.0', { skipRange: '<0.1.0' }))).to.deep.equal({ name: 'p.v0.1.0', skipRange: '<0.1.0' });
    expect(channelEntry(csv('p.v0.2.0', { replaces: 'p.v0.1.0', skips: ['p.v0.1.1'] }))).to.deep.equal({
      name: 'p.v0.2.0',
      replaces: 'p.v0.1.0',
      skips: ['p.v0.1.1'],
    });
  });

  it('refuses what is not a named CSV', () => {
    expect(() => channelEntry({ kind: 'Deployment', metadata: { name: 'x' } })).to.throw('not a ClusterServiceVersion');
    expect(() => channelEntry({ kind: 'ClusterServiceVersion', metadata: {} })).to.throw('no metadata.name');
  });

  it('chains bundles into a channel with one head', () => {
    const blob = channelBlob('p', 'stable', [csv('p.v0.1.0'), csv('p.v0.1.1', { replaces: 'p.v0.1.0' })]);
    expect(blob).to.deep.equal({
      schema: 'olm.channel',
      package: 'p',
      name: 'stable',
      entries: [{ name: 'p.v0.1.0' }, { name: 'p.v0.1.1', replaces: 'p.v0.1.0' }],
    });
  });

  it('refuses a channel OLM could not resolve to one bundle: two heads, none, or a name twice', () => {
    expect(() => channelBlob('p', 'stable', [csv('p.v0.1.0'), csv('p.v0.2.0')])).to.throw('exactly one head, has p.v0.1.0, p.v0.2.0');
    expect(() => channelBlob('p', 'stable', [csv('p.v1.0.0', { replaces: 'p.v2.0.0' }), csv('p.v2.0.0', { replaces: 'p.v1.0.0' })])).to.throw('has none');
    expect(() => channelBlob('p', 'stable', [csv('p.v0.1.0'), csv('p.v0.1.0')])).to.throw('two bundles are named p.v0.1.0');
    expect(() => channelBlob('p', 'stable', [])).to.throw('no bundles');
  });

  it('writes blobs as multi-document YAML that reads back the same', () => {
    const blobs = [{ schema: 'olm.package', name: 'p' }, channelBlob('p', 'stable', [csv('p.v0.1.0')])];
    expect(parseAllDocuments(fbcYaml(blobs)).map((d) => d.toJS() as unknown)).to.deep.equal(blobs);
  });
});

describe('OLM test environment: the v+1 bundle', () => {
  it('bumps the patch version and drops a pre-release suffix', () => {
    expect(nextPatchVersion('0.1.0')).to.equal('0.1.1');
    expect(nextPatchVersion('1.9.9')).to.equal('1.9.10');
    expect(nextPatchVersion('1.2.3-rc.1')).to.equal('1.2.4');
    expect(() => nextPatchVersion('1.2')).to.throw('not semver');
  });

  it('is rendered by the bundle generator: version bumped, replacing the committed CSV, the rest unchanged', async () => {
    const next = await writeNextBundle();
    try {
      const nextCsv = bundleCsv(next.dir) as ReturnType<typeof bundleCsv> & { spec: { version: string; replaces: string } };
      expect(nextCsv.metadata?.name).to.equal(`open-local-operator.v${nextPatchVersion(version)}`);
      expect(nextCsv.spec.version).to.equal(next.version);
      expect(nextCsv.spec.replaces).to.equal(`open-local-operator.v${version}`);
      const committed = bundleCsv(join(import.meta.dirname, '../../../olm-bundle')) as { spec: Record<string, unknown> };
      const without = (spec: Record<string, unknown>) => Object.fromEntries(Object.entries(spec).filter(([k]) => k !== 'version' && k !== 'replaces'));
      expect(without(nextCsv.spec)).to.deep.equal(without(committed.spec));
    } finally {
      await next.remove();
    }
  });
});

describe('OLM test environment: peers', () => {
  let dir = '';
  const env = (): NodeJS.ProcessEnv => ({ OPEN_LOCAL_PEERS_DIR: dir });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'peers-unit-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps olm and catalog in one OLM release folder and opm in its own', () => {
    expect(cachedPeerPath('olm', env())).to.equal(join(dir, `olm-${OLM_VERSION}`, 'olm'));
    expect(cachedPeerPath('catalog', env())).to.equal(join(dir, `olm-${OLM_VERSION}`, 'catalog'));
    expect(cachedPeerPath('opm', env())).to.equal(join(dir, `opm-${OPM_VERSION}`, 'opm'));
  });

  it('says to build a missing one with build-peers.sh olm', () => {
    for (const name of ['olm', 'catalog', 'opm'] as const) {
      expect(() => peerPath(name, env())).to.throw(PeerMissingError).with.property('message').that.includes('bash scripts/build-peers.sh olm');
    }
  });

  it("lists OLM's CRD files only once build-peers.sh marked the release complete", () => {
    const crds = join(dir, `olm-${OLM_VERSION}`, 'crds');
    mkdirSync(crds, { recursive: true });
    writeFileSync(join(crds, '0000_50_olm_00-subscriptions.crd.yaml'), 'kind: CustomResourceDefinition\n');
    writeFileSync(join(crds, '0000_50_olm_00-catalogsources.crd.yaml'), 'kind: CustomResourceDefinition\n');
    expect(() => olmCrdFiles(env())).to.throw(/bash scripts\/build-peers\.sh olm/);
    writeFileSync(join(dir, `olm-${OLM_VERSION}`, '.complete'), '');
    expect(olmCrdFiles(env())).to.deep.equal([join(crds, '0000_50_olm_00-catalogsources.crd.yaml'), join(crds, '0000_50_olm_00-subscriptions.crd.yaml')]);
  });
});
