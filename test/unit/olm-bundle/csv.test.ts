import { expect } from 'chai';
import { crdManifests } from '../../../api/generated/crds.js';
import { validate } from '../../../api/validate.js';
import { buildCsv, csvName } from '../../../olm-bundle/csv.js';
import { descriptorTables, schemaAt } from '../../../olm-bundle/descriptors.js';
import { ICON_SVG } from '../../../olm-bundle/icon.js';
import { isPinnedPullspec } from '../../../olm-bundle/images.js';
import { readBundleInputs } from '../../../olm-bundle/io.js';
import { version } from '../../../lib/version.js';
import { defaultOpenLocalImage } from '../../../synth/install/operator-install.js';
import { operatorClusterRules, operatorRules } from '../../../synth/rbac-rules.js';
import { renderInstall } from '../../../synth/render.js';
import { isJsonObject, loadExample, type JsonObject } from '../../fixtures/examples.js';
import { at, committedCsv, manifests } from './committed.js';

const csv = committedCsv();
const installSpec = at(csv, 'spec', 'install', 'spec');
const installed = renderInstall();
const installedOf = (kind: string) => installed.find((o) => o.kind === kind && o.metadata.name === 'open-local-operator');
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A rule as plain data with every optional key explicit, so the comparison ignores only key order. */
const normalRules = (rules: unknown) =>
  list(rules).map((r) => ({
    apiGroups: at(r, 'apiGroups'),
    resources: at(r, 'resources'),
    verbs: at(r, 'verbs'),
    resourceNames: at(r, 'resourceNames'),
  }));

describe('olm-bundle: the ClusterServiceVersion', () => {
  describe('name and version', () => {
    it('is named open-local-operator.v<package.json version>, and that version is semver', () => {
      expect(at(csv, 'metadata', 'name')).to.equal(`open-local-operator.v${version}`);
      expect(at(csv, 'spec', 'version')).to.equal(version);
      expect(version).to.match(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/);
    });

    it('has a name that is a DNS-1123 subdomain and a valid label value (≤ 63 characters)', () => {
      const name = String(at(csv, 'metadata', 'name'));
      expect(name.length).to.be.at.most(63);
      expect(name).to.match(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
    });

    it('skips every older version and, being the first release, replaces none', () => {
      expect(at(csv, 'metadata', 'annotations', 'olm.skipRange')).to.equal(`<${version}`);
      expect(at(csv, 'spec', 'replaces')).to.equal(undefined);
    });

    it('renders another release that replaces this one when asked (the OLM upgrade test uses it)', () => {
      const next = buildCsv({ ...readBundleInputs(), version: '9.9.9', replaces: csvName(version) });
      expect(next.metadata.name).to.equal('open-local-operator.v9.9.9');
      expect(next.spec.replaces).to.equal(`open-local-operator.v${version}`);
      expect(next.metadata.annotations['olm.skipRange']).to.equal('<9.9.9');
    });

    it('refuses a replaces that is not a CSV name of this package, or that names itself', () => {
      const inputs = { ...readBundleInputs(), version: '9.9.9' };
      expect(() => buildCsv({ ...inputs, replaces: 'other-operator.v0.1.0' })).to.throw('not a CSV name of this package');
      expect(() => buildCsv({ ...inputs, replaces: 'open-local-operator.v0.1' })).to.throw('not a CSV name of this package');
      expect(() => buildCsv({ ...inputs, replaces: 'open-local-operator.v9.9.9' })).to.throw('cannot replace itself');
    });

    it('refuses a version that is not semver', () => {
      expect(() => buildCsv({ ...readBundleInputs(), version: '0.1' })).to.throw('not semver');
      expect(csvName('1.2.3')).to.equal('open-local-operator.v1.2.3');
    });
  });

  describe('install strategy', () => {
    it('runs the operator Deployment of the plain install (operatorDeploymentSpec), named open-local-operator', () => {
      const deployments = list(at(installSpec, 'deployments'));
      expect(deployments).to.have.length(1);
      expect(at(csv, 'spec', 'install', 'strategy')).to.equal('deployment');
      expect(at(deployments[0], 'name')).to.equal('open-local-operator');
      expect(at(deployments[0], 'spec')).to.deep.equal(JSON.parse(JSON.stringify(installedOf('Deployment')?.spec)));
    });

    it('gives the operator ServiceAccount exactly the synth ClusterRole rules (operatorClusterRules)', () => {
      const blocks = list(at(installSpec, 'clusterPermissions'));
      expect(blocks.map((b) => at(b, 'serviceAccountName'))).to.deep.equal(['open-local-operator']);
      expect(normalRules(at(blocks[0], 'rules'))).to.deep.equal(normalRules(operatorClusterRules()));
      expect(normalRules(at(blocks[0], 'rules'))).to.deep.equal(normalRules(installedOf('ClusterRole')?.rules));
    });

    it('gives it exactly the synth Role rules in its own namespace (operatorRules.namespaced: leases)', () => {
      const blocks = list(at(installSpec, 'permissions'));
      expect(blocks.map((b) => at(b, 'serviceAccountName'))).to.deep.equal(['open-local-operator']);
      expect(normalRules(at(blocks[0], 'rules'))).to.deep.equal(normalRules(operatorRules.namespaced));
      expect(normalRules(at(blocks[0], 'rules'))).to.deep.equal(normalRules(installedOf('Role')?.rules));
    });

    it('cannot create CustomResourceDefinitions (OLM installs them; the good-practices validator warns otherwise)', () => {
      const rules = normalRules(at(list(at(installSpec, 'clusterPermissions'))[0], 'rules'));
      expect(rules.filter((r) => list(r.resources).includes('customresourcedefinitions'))).to.deep.equal([]);
    });

    it('supports AllNamespaces only: the operator is cluster-wide', () => {
      expect(at(csv, 'spec', 'installModes')).to.deep.equal([
        { type: 'OwnNamespace', supported: false },
        { type: 'SingleNamespace', supported: false },
        { type: 'MultiNamespace', supported: false },
        { type: 'AllNamespaces', supported: true },
      ]);
    });
  });

  describe('alm-examples', () => {
    const examples: unknown = JSON.parse(String(at(csv, 'metadata', 'annotations', 'alm-examples')));

    it('is a JSON array of examples/minimal.yaml then examples/full.yaml', () => {
      expect(examples).to.deep.equal([loadExample('minimal'), loadExample('full')]);
    });

    it('holds only valid OpenLocalClusters (api/validate.ts)', () => {
      for (const [i, example] of list(examples).entries()) {
        const result = validate('OpenLocalCluster', example);
        expect(result.ok, `alm-examples[${i}]: ${result.ok ? '' : result.errors.join('; ')}`).to.equal(true);
      }
    });

    it('refuses to build a CSV around an invalid example', () => {
      const bad: JsonObject = { ...loadExample('minimal'), spec: { logLevel: 'loud' } };
      expect(() => buildCsv({ ...readBundleInputs(), examples: [bad] })).to.throw('spec.logLevel');
    });
  });

  describe('relatedImages', () => {
    const related = list(at(csv, 'spec', 'relatedImages'));
    const images = related.map((r) => String(at(r, 'image')));

    it('lists every operand image default of spec.images, plus the operator image', () => {
      const imagesSchema = schemaAt(crdManifests.find((c) => c.spec.names.kind === 'OpenLocalCluster')?.spec.versions[0]?.schema.openAPIV3Schema ?? {}, 'spec.images');
      const props = isJsonObject(imagesSchema?.properties) ? imagesSchema.properties : {};
      const defaults = Object.entries(props)
        .filter(([key]) => key !== 'pullPolicy' && key !== 'pullSecrets')
        .map(([, field]) => at(field, 'default'));
      expect(defaults).to.have.length(7);
      expect(images).to.include.members([...defaults, defaultOpenLocalImage()]);
      expect(new Set(images).size, 'no image twice').to.equal(images.length);
    });

    it('names each image and pins each one (fully qualified, tag other than latest, or digest)', () => {
      for (const r of related) {
        expect(at(r, 'name'), JSON.stringify(r)).to.match(/^[a-z0-9-]+$/);
        expect(isPinnedPullspec(String(at(r, 'image'))), String(at(r, 'image'))).to.equal(true);
      }
    });

    it('adds a pinned --image operator image, and refuses an unpinned one', () => {
      const image = 'quay.io/example/open-local@sha256:' + 'a'.repeat(64);
      const custom = buildCsv({ ...readBundleInputs(), operatorImage: image });
      expect(list(at(custom, 'spec', 'relatedImages')).map((r) => at(r, 'image'))).to.include(image);
      expect(() => buildCsv({ ...readBundleInputs(), operatorImage: 'quay.io/example/open-local:latest' })).to.throw('must be pinned');
    });
  });

  describe('owned CRDs', () => {
    const owned = list(at(csv, 'spec', 'customresourcedefinitions', 'owned'));
    const bundledCrds = [...manifests.values()].filter((o) => o.kind === 'CustomResourceDefinition');

    it('are exactly the CRDs in manifests/ (name, version, kind), each with a display name and description', () => {
      const fromCrds = bundledCrds
        .map((c) => ({ name: at(c, 'metadata', 'name'), version: at(c, 'spec', 'versions', 0, 'name'), kind: at(c, 'spec', 'names', 'kind') }))
        .sort((a, b) => String(a.name).localeCompare(String(b.name)));
      expect(owned.map((o) => ({ name: at(o, 'name'), version: at(o, 'version'), kind: at(o, 'kind') }))).to.deep.equal(fromCrds);
      expect(bundledCrds).to.have.length(4);
      for (const o of owned) {
        expect(at(o, 'displayName'), String(at(o, 'kind'))).to.be.a('string').and.not.equal('');
        expect(at(o, 'description'), String(at(o, 'kind'))).to.be.a('string').and.not.equal('');
      }
    });

    it('bundles the CRDs of api/ unchanged', () => {
      for (const crd of crdManifests) {
        const bundled = bundledCrds.find((c) => at(c, 'metadata', 'name') === crd.metadata.name);
        expect(bundled, crd.metadata.name).to.deep.equal(JSON.parse(JSON.stringify(crd)));
      }
    });

    it('describe OpenLocalCluster with real spec and status descriptors', () => {
      const olc = owned.find((o) => at(o, 'kind') === 'OpenLocalCluster');
      const xOf = (section: string, path: string) =>
        at(list(at(olc, section)).find((d) => at(d, 'path') === path), 'x-descriptors');
      expect(xOf('statusDescriptors', 'conditions')).to.deep.equal(['urn:alm:descriptor:io.kubernetes.conditions']);
      expect(xOf('statusDescriptors', 'phase')).to.deep.equal(['urn:alm:descriptor:io.kubernetes.phase']);
      const statusPaths = list(at(olc, 'statusDescriptors')).map((d) => at(d, 'path'));
      expect(statusPaths).to.include.members(['nodes', 'nodeCounts', 'components']);
      expect(xOf('specDescriptors', 'extender.strategy')).to.deep.equal([
        'urn:alm:descriptor:com.tectonic.ui:select:binpack',
        'urn:alm:descriptor:com.tectonic.ui:select:spread',
      ]);
      expect(xOf('specDescriptors', 'cleanup.policy')).to.deep.equal([
        'urn:alm:descriptor:com.tectonic.ui:select:Keep',
        'urn:alm:descriptor:com.tectonic.ui:select:RemoveVolumeGroups',
      ]);
      expect(list(at(olc, 'specDescriptors')).map((d) => at(d, 'path'))).to.include('storageClasses');
    });

    it('point every descriptor at a field the CRD schema has, with a description', () => {
      for (const crd of crdManifests) {
        const table = descriptorTables[crd.spec.names.kind];
        const root = crd.spec.versions[0]?.schema.openAPIV3Schema ?? {};
        expect(table, crd.spec.names.kind).not.to.equal(undefined);
        for (const [section, fields] of [['spec', table?.spec ?? []], ['status', table?.status ?? []]] as const) {
          for (const f of fields) expect(schemaAt(root, `${section}.${f.path}`), `${crd.spec.names.kind} ${section}.${f.path}`).not.to.equal(undefined);
        }
      }
      for (const o of owned) {
        for (const d of [...list(at(o, 'specDescriptors')), ...list(at(o, 'statusDescriptors'))]) {
          expect(at(d, 'description'), `${String(at(o, 'kind'))} ${String(at(d, 'path'))}`).to.be.a('string').and.not.equal('');
        }
      }
    });
  });

  describe('catalog metadata', () => {
    const annotations = at(csv, 'metadata', 'annotations');

    it('says Basic Install, category Storage, suggested namespace open-local-system, and has no createdAt', () => {
      expect(at(annotations, 'capabilities')).to.equal('Basic Install');
      expect(at(annotations, 'categories')).to.equal('Storage');
      expect(at(annotations, 'operatorframework.io/suggested-namespace')).to.equal('open-local-system');
      expect(at(annotations, 'containerImage')).to.equal(defaultOpenLocalImage());
      expect(at(annotations, 'createdAt')).to.equal(undefined);
    });

    it('is alpha, needs Kubernetes ≥ 1.28.0, and names provider, maintainers and links', () => {
      expect(at(csv, 'spec', 'maturity')).to.equal('alpha');
      expect(at(csv, 'spec', 'minKubeVersion')).to.equal('1.28.0');
      expect(at(csv, 'spec', 'provider', 'name')).to.be.a('string').and.not.equal('');
      for (const m of list(at(csv, 'spec', 'maintainers'))) expect(at(m, 'email')).to.match(/^[^@\s]+@[^@\s]+\.[^@\s]+$/);
      for (const l of list(at(csv, 'spec', 'links'))) expect(String(at(l, 'url'))).to.match(/^https:\/\//);
      expect(list(at(csv, 'spec', 'keywords'))).to.include('storage');
    });

    it('has one SVG icon that decodes to the project icon', () => {
      const icons = list(at(csv, 'spec', 'icon'));
      expect(icons).to.have.length(1);
      expect(at(icons[0], 'mediatype')).to.equal('image/svg+xml');
      expect(Buffer.from(String(at(icons[0], 'base64data')), 'base64').toString('utf8')).to.equal(ICON_SVG);
      expect(ICON_SVG).to.match(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>.*<\/svg>$/);
    });

    it("carries the README's feature table and safety notes in its description", () => {
      const description = String(at(csv, 'spec', 'description'));
      expect(description).to.contain('| Feature | State |');
      expect(description).to.contain('## Safety');
      expect(description).to.contain('remove-volume-groups-on-every-node');
    });

    it('marks the kinds only the operator writes as internal objects', () => {
      expect(JSON.parse(String(at(annotations, 'operators.operatorframework.io/internal-objects')))).to.deep.equal([
        'localvolumes.csi.aliyun.com',
        'nodelocalstorageinitconfigs.csi.aliyun.com',
        'nodelocalstorages.csi.aliyun.com',
      ]);
    });
  });
});
