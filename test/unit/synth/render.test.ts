import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import type { ImagesSpec } from '../../../api/generated/types.js';
import { validate } from '../../../api/validate.js';
import { renderInstall, renderPrepareVgJob, renderStack, toYaml, type KubeObject } from '../../../synth/render.js';
import { initConfigHash, resolveNodeConfig, type StorageConfigSource } from '../../../lib/storage-config.js';
import { InvalidClusterError } from '../../../synth/resolved-spec.js';
import { prepareVgJobName } from '../../../synth/stack/prepare-vg-job.js';
import { OPERATOR_NODE_OPTIONS } from '../../../synth/install/operator-install.js';
import { IMAGE_PROGRAM } from '../../../synth/pod-parts.js';
import { isJsonObject, loadExample, repoRoot, withField, type JsonObject, type JsonValue } from '../../fixtures/examples.js';
import { containers, names, ofKind, one, workloads } from './objects.js';

const snapshotDir = join(import.meta.dirname, '__snapshots__');
const NODE = 'worker-1.example.com';
// A database node: its labels select the second nodesConfig entry of the full example.
const LABELS = { 'node-role.example.com/database': 'true' };
const DRIVER = 'local.csi.aliyun.com';
const READY_LABEL = 'csi.aliyun.com/open-local-ready';

/** Byte-for-byte comparison with __snapshots__/NAME; `UPDATE_SNAPSHOTS=1` rewrites the file instead. */
function expectSnapshot(name: string, actual: string): void {
  const file = join(snapshotDir, name);
  const shown = relative(repoRoot, file);
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    mkdirSync(snapshotDir, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) expect.fail(`${shown} is missing; create it with UPDATE_SNAPSHOTS=1 npm run test:unit`);
  const expected = readFileSync(file, 'utf8');
  if (actual === expected) return;
  const a = actual.split('\n');
  const e = expected.split('\n');
  const line = a.findIndex((l, i) => l !== e[i]);
  const at = line < 0 ? e.length : line;
  expect.fail(
    `rendered output differs from ${shown} at line ${at + 1}:\n  snapshot: ${JSON.stringify(e[at])}\n  rendered: ${JSON.stringify(a[at])}\n` +
      'If the change is intended, review it and run UPDATE_SNAPSHOTS=1 npm run test:unit.',
  );
}

/** The images the spec (after defaulting) asks for, by ImagesSpec key. */
function specImages(cluster: JsonObject): Record<string, string> {
  const result = validate('OpenLocalCluster', cluster);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  const images: ImagesSpec = result.value.spec.images ?? {};
  return Object.fromEntries(Object.entries(images).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'pullPolicy'));
}

/** Which ImagesSpec field each container's image comes from. */
const imageOfContainer: Readonly<Record<string, string>> = {
  controller: 'openLocal',
  extender: 'openLocal',
  'csi-plugin': 'openLocal',
  agent: 'openLocal',
  'prepare-vg': 'openLocal',
  'csi-provisioner': 'csiProvisioner',
  'csi-resizer': 'csiResizer',
  'csi-snapshotter': 'csiSnapshotter',
  'snapshot-controller': 'snapshotController',
  'node-driver-registrar': 'nodeDriverRegistrar',
  'liveness-probe': 'livenessProbe',
};

/** `repo/name:tag` or `repo/name@sha256:…`, with a tag other than latest. */
function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
  return /^[\w][\w.-]{0,127}$/.test(tag) && tag !== 'latest';
}

/** Every key of a parsed YAML document, recursively. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (isJsonObject(value)) return Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]);
  return [];
}

function stackWithJob(cluster: JsonObject): KubeObject[] {
  return [...renderStack(cluster), renderPrepareVgJob(cluster, NODE, LABELS)];
}

function container(objects: readonly KubeObject[], workload: string, name: string) {
  const found = containers(objects).find((c) => c.workload.name === workload && c.container.name === name);
  if (!found) throw new Error(`no container ${name} in ${workload}`);
  return found.container;
}

function variant(path: string, value: JsonValue | undefined): JsonObject {
  return withField(loadExample('minimal'), path, value);
}

describe('synth/render', () => {
  const full = loadExample('full');
  const minimal = loadExample('minimal');

  describe('golden snapshots', () => {
    it('renders the full example exactly as __snapshots__/stack-full.yaml', () => {
      expectSnapshot('stack-full.yaml', toYaml(renderStack(full)));
    });

    it('renders the minimal example exactly as __snapshots__/stack-minimal.yaml', () => {
      expectSnapshot('stack-minimal.yaml', toYaml(renderStack(minimal)));
    });

    it('renders the operator install exactly as __snapshots__/install.yaml', () => {
      expectSnapshot('install.yaml', toYaml(renderInstall()));
    });

    it('renders the prepare-VG Job of a node exactly as __snapshots__/prepare-vg-job.yaml', () => {
      expectSnapshot('prepare-vg-job.yaml', toYaml([renderPrepareVgJob(full, NODE, LABELS)]));
    });

    it('renders identical YAML twice from the same input', () => {
      expect(toYaml(renderStack(full))).to.equal(toYaml(renderStack(full)));
      expect(toYaml(renderInstall())).to.equal(toYaml(renderInstall()));
      expect(toYaml([renderPrepareVgJob(full, NODE, LABELS)])).to.equal(toYaml([renderPrepareVgJob(full, NODE, LABELS)]));
    });

    it('does not modify the cluster it renders', () => {
      const before = structuredClone(full);
      renderStack(full);
      renderPrepareVgJob(full, NODE, LABELS);
      expect(full).to.deep.equal(before);
    });
  });

  describe('invalid input', () => {
    it('throws InvalidClusterError naming the field for an invalid cluster', () => {
      const bad = variant('spec.extender.port', 80);
      expect(() => renderStack(bad)).to.throw(InvalidClusterError, /spec\.extender\.port: /);
      expect(() => renderPrepareVgJob(bad, NODE, LABELS)).to.throw(InvalidClusterError, /spec\.extender\.port: /);
    });

    it('throws InvalidClusterError for a cluster without metadata.name', () => {
      expect(() => renderStack(withField(minimal, 'metadata', {}))).to.throw(InvalidClusterError, /metadata\.name: Required value/);
    });
  });

  describe('images', () => {
    const custom = withField(minimal, 'spec.images', {
      openLocal: 'registry.example.com/storage/open-local@sha256:' + 'a'.repeat(64),
      csiProvisioner: 'registry.example.com/csi-provisioner:v6.3.0-patched',
      csiResizer: 'registry.example.com/csi-resizer:v2.2.1',
      csiSnapshotter: 'registry.example.com:5000/csi-snapshotter:v8.5.0',
      snapshotController: 'registry.example.com/snapshot-controller:v8.5.0',
      nodeDriverRegistrar: 'registry.example.com/csi-node-driver-registrar:v2.17.0',
      livenessProbe: 'registry.example.com/livenessprobe:v2.19.0',
      pullPolicy: 'Always',
      pullSecrets: ['mirror-credentials'],
    });
    const withController = (c: JsonObject) => withField(c, 'spec.csi.snapshots.deployController', true);

    for (const [label, cluster] of [
      ['the full example', full],
      ['the minimal example', withController(minimal)],
      ['custom images', withController(custom)],
    ] as const) {
      it(`uses pinned images, each the spec's image for that container (${label})`, () => {
        const wanted = specImages(cluster);
        const used = containers(stackWithJob(cluster));
        for (const { id, container: c } of used) {
          const key = imageOfContainer[c.name];
          expect(key, `${id}: unexpected container`).to.be.a('string');
          expect(c.image, id).to.equal(wanted[key ?? '']);
          expect(isPinned(c.image ?? ''), `${id}: ${c.image ?? '(none)'} is not pinned`).to.be.true;
        }
        // Every image of the spec is used somewhere (nothing silently ignored).
        expect([...new Set(used.map((u) => u.container.image))].sort()).to.deep.equal(
          Object.values(wanted).sort(),
        );
      });
    }

    it('applies the pull policy and pull secrets to every operand pod', () => {
      for (const w of workloads(stackWithJob(withController(custom)))) {
        expect(w.pod.imagePullSecrets, w.id).to.deep.equal([{ name: 'mirror-credentials' }]);
        for (const c of w.pod.containers) expect(c.imagePullPolicy, `${w.id} ${c.name}`).to.equal('Always');
      }
    });

    it('runs the operator on a pinned open-local image', () => {
      const [operator] = containers(renderInstall());
      expect(operator?.container.image).to.equal(specImages(minimal).openLocal);
      expect(isPinned(operator?.container.image ?? '')).to.be.true;
    });

    it("runs the operator with its V8 flags on node's command line, on the program the Dockerfile's ENTRYPOINT runs", () => {
      const [operator] = containers(renderInstall());
      expect(operator?.container.command).to.deep.equal(['node', ...OPERATOR_NODE_OPTIONS, IMAGE_PROGRAM]);
      expect(operator?.container.env?.map((e) => e.name), 'NODE_OPTIONS refuses --optimize-for-size').not.to.include('NODE_OPTIONS');
      const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
      expect(JSON.parse(entrypoint?.[1] ?? '[]')).to.deep.equal(['node', IMAGE_PROGRAM]);
    });

    it('uses the image and namespace given to the install', () => {
      const objects = renderInstall({ namespace: 'storage-system', image: 'registry.example.com/open-local:v9.9.9' });
      expect(containers(objects).map((c) => c.container.image)).to.deep.equal(['registry.example.com/open-local:v9.9.9']);
      const namespaced = objects.filter((o) => o.metadata.namespace !== undefined);
      expect([...new Set(namespaced.map((o) => o.metadata.namespace))]).to.deep.equal(['storage-system']);
      expect(names(objects, 'Namespace')).to.deep.equal(['storage-system']);
    });
  });

  describe('pods', () => {
    const cases: readonly [string, KubeObject[]][] = [
      ['stack of the full example', stackWithJob(full)],
      ['stack of the minimal example', stackWithJob(minimal)],
      ['operator install', renderInstall()],
    ];
    for (const [label, objects] of cases) {
      it(`runs every pod under a rendered ServiceAccount of its namespace, with a token only if it uses the API (${label})`, () => {
        const accounts = ofKind(objects, 'ServiceAccount').map((sa) => `${sa.metadata?.namespace ?? ''}/${sa.metadata?.name ?? ''}`);
        for (const w of workloads(objects)) {
          expect(accounts, w.id).to.include(`${w.namespace}/${w.pod.serviceAccountName ?? '(none)'}`);
          // prepare-vg gets its config inside the Job: no API access, no token.
          expect(w.pod.automountServiceAccountToken, w.id).to.equal(w.pod.serviceAccountName !== 'open-local-prepare-vg');
        }
      });

      it(`gives every container CPU and memory requests and a memory limit (${label})`, () => {
        for (const { id, container: c } of containers(objects)) {
          expect(c.resources?.requests, id).to.have.all.keys('cpu', 'memory');
          expect(c.resources?.limits, id).to.have.property('memory');
        }
      });

      it(`gives every open-local daemon container a liveness probe (${label})`, () => {
        const openLocal = specImages(minimal).openLocal;
        const daemons = containers(objects).filter(({ container: c, workload }) => workload.kind !== 'Job' && c.image === openLocal);
        expect(daemons).not.to.be.empty;
        for (const { id, container: c } of daemons) expect(c.livenessProbe?.httpGet ?? c.livenessProbe?.grpc, id).to.exist;
      });
    }

    it('places every namespaced operand in spec.namespace', () => {
      const objects = stackWithJob(variant('spec.namespace', 'storage'));
      const namespaced = objects.filter((o) => o.metadata.namespace !== undefined);
      expect(namespaced).not.to.be.empty;
      expect([...new Set(namespaced.map((o) => o.metadata.namespace))]).to.deep.equal(['storage']);
      expect(names(objects, 'Namespace')).to.deep.equal(['storage']);
    });
  });

  describe('node DaemonSet', () => {
    const objects = renderStack(full);
    const ds = one(objects, 'DaemonSet', 'open-local-node');
    const pod = ds.spec?.template.spec;

    it('runs only on nodes the operator marked ready', () => {
      expect(pod?.nodeSelector).to.deep.equal({ [READY_LABEL]: 'true' });
    });

    it('mounts the kubelet directory into the CSI plugin with Bidirectional propagation', () => {
      const plugin = container(objects, 'open-local-node', 'csi-plugin');
      const mount = plugin.volumeMounts?.find((m) => m.mountPath === '/var/lib/kubelet');
      expect(mount?.mountPropagation).to.equal('Bidirectional');
      const volume = pod?.volumes?.find((v) => v.name === mount?.name);
      expect(volume?.hostPath?.path).to.equal('/var/lib/kubelet');
    });

    it('uses Bidirectional propagation only in privileged containers', () => {
      const bidirectional = containers(objects).filter(({ container: c }) => c.volumeMounts?.some((m) => m.mountPropagation === 'Bidirectional'));
      expect(bidirectional.map((b) => b.container.name).sort()).to.deep.equal(['agent', 'csi-plugin']);
      for (const { id, container: c } of bidirectional) expect(c.securityContext?.privileged, id).to.equal(true);
    });

    it('follows a custom kubelet directory everywhere', () => {
      const custom = renderStack(variant('spec.csi.kubeletDir', '/data/kubelet'));
      const customPod = one(custom, 'DaemonSet', 'open-local-node').spec?.template.spec;
      const paths = (customPod?.volumes ?? []).map((v) => v.hostPath?.path ?? '').filter((p) => p.includes('kubelet'));
      expect(paths.sort()).to.deep.equal(['/data/kubelet', '/data/kubelet/plugins/local.csi.aliyun.com', '/data/kubelet/plugins_registry']);
      expect(container(custom, 'open-local-node', 'node-driver-registrar').args).to.include(
        '--kubelet-registration-path=/data/kubelet/plugins/local.csi.aliyun.com/csi.sock',
      );
      const plugin = container(custom, 'open-local-node', 'csi-plugin');
      expect(plugin.volumeMounts?.find((m) => m.mountPath === '/data/kubelet')?.mountPropagation).to.equal('Bidirectional');
    });

    it("tolerates what spec.nodes.tolerations says (default: every taint)", () => {
      expect(pod?.tolerations).to.deep.equal([{ key: 'storage.example.com/dedicated', operator: 'Exists', effect: 'NoSchedule' }]);
      const defaultPod = one(renderStack(minimal), 'DaemonSet', 'open-local-node').spec?.template.spec;
      expect(defaultPod?.tolerations).to.deep.equal([{ operator: 'Exists' }]);
    });
  });

  describe('prepare-VG Job', () => {
    const job = ofKind([renderPrepareVgJob(full, NODE, LABELS)], 'Job')[0]!;
    const pod = job.spec?.template.spec;

    it('is named by prepareVgJobName and carries the node and config hash', () => {
      expect(job.metadata?.name).to.equal(prepareVgJobName(NODE));
      expect(job.metadata?.annotations).to.include({ 'csi.aliyun.com/node-name': NODE });
      expect(job.metadata?.annotations?.['csi.aliyun.com/storage-config-hash']).to.be.a('string');
    });

    it("carries the node's resolved resourceToBeInited (selected by its labels) and needs no API token", () => {
      const container = pod?.containers[0];
      const env = container?.env?.find((e) => e.name === 'OPEN_LOCAL_INIT_CONFIG');
      const storage = (full.spec as unknown as { storage: StorageConfigSource }).storage;
      const init = resolveNodeConfig(storage, LABELS).resourceToBeInited;
      expect(JSON.parse(env?.value ?? 'null')).to.deep.equal(init);
      expect((init?.vgs ?? []).map((v) => v.name)).to.deep.equal(['open-local-pool-0', 'open-local-pool-1']);
      expect(job.metadata?.annotations?.['csi.aliyun.com/storage-config-hash']).to.equal(initConfigHash(init));
      expect(pod?.automountServiceAccountToken).to.equal(false);
    });

    it('runs once, on that node only, within spec.prepareVolumeGroups.timeoutSeconds', () => {
      expect(job.spec?.backoffLimit).to.equal(0);
      expect(job.spec?.activeDeadlineSeconds).to.equal(900);
      expect(pod?.restartPolicy).to.equal('Never');
      expect(pod?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).to.deep.equal([
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: [NODE] }] },
      ]);
    });
  });

  describe('CSIDriver', () => {
    it("keeps Open-Local's driver: no attach, pod info on mount, persistent and ephemeral volumes", () => {
      const driver = one(renderStack(minimal), 'CSIDriver', DRIVER);
      expect(driver.spec.attachRequired).to.equal(false);
      expect(driver.spec.podInfoOnMount).to.equal(true);
      expect(driver.spec.volumeLifecycleModes).to.deep.equal(['Persistent', 'Ephemeral']);
    });

    it('reports storage capacity only when spec.csi.storageCapacityTracking is true', () => {
      expect(one(renderStack(minimal), 'CSIDriver', DRIVER).spec.storageCapacity).to.equal(false);
      expect(one(renderStack(full), 'CSIDriver', DRIVER).spec.storageCapacity).to.equal(true);
      expect(container(renderStack(full), 'open-local-csi-controller', 'csi-provisioner').args).to.include('--enable-capacity=true');
    });
  });

  describe('StorageClasses', () => {
    // reference/open-local.md §1: the helm chart's five classes.
    const openLocalClasses: Readonly<Record<string, { parameters: Record<string, string>; allowVolumeExpansion: boolean }>> = {
      'open-local-lvm': { parameters: { volumeType: 'LVM', 'csi.storage.k8s.io/fstype': 'ext4' }, allowVolumeExpansion: true },
      'open-local-lvm-xfs': { parameters: { volumeType: 'LVM', 'csi.storage.k8s.io/fstype': 'xfs' }, allowVolumeExpansion: true },
      'open-local-lvm-io-throttle': { parameters: { volumeType: 'LVM' }, allowVolumeExpansion: true },
      'open-local-device-ssd': { parameters: { volumeType: 'Device', mediaType: 'ssd', 'csi.storage.k8s.io/fstype': 'ext4' }, allowVolumeExpansion: false },
      'open-local-device-hdd': { parameters: { volumeType: 'Device', mediaType: 'hdd', 'csi.storage.k8s.io/fstype': 'ext4' }, allowVolumeExpansion: false },
    };

    it("creates Open-Local's five classes by default, with its parameters, reclaim Delete and WaitForFirstConsumer", () => {
      const classes = ofKind(renderStack(minimal), 'StorageClass');
      expect(classes.map((sc) => sc.metadata?.name).sort()).to.deep.equal(Object.keys(openLocalClasses).sort());
      for (const sc of classes) {
        const name = sc.metadata?.name ?? '';
        const want = openLocalClasses[name];
        expect(sc.provisioner, name).to.equal(DRIVER);
        expect(sc.parameters, name).to.deep.equal(want?.parameters);
        expect(sc.allowVolumeExpansion, name).to.equal(want?.allowVolumeExpansion);
        expect(sc.reclaimPolicy, name).to.equal('Delete');
        expect(sc.volumeBindingMode, name).to.equal('WaitForFirstConsumer');
        expect(sc.metadata?.annotations, name).to.be.undefined;
      }
    });

    it('renders IO limits, pinned VG, striping, reclaim policy and the default-class annotation from the spec', () => {
      const objects = renderStack(full);
      expect(one(objects, 'StorageClass', 'open-local-lvm-io-throttle').parameters).to.deep.equal({
        volumeType: 'LVM',
        'csi.storage.k8s.io/fstype': 'ext4',
        iops: '2000',
        bps: '100Mi',
      });
      expect(one(objects, 'StorageClass', 'open-local-lvm-striped').parameters).to.deep.equal({
        volumeType: 'LVM',
        vgName: 'open-local-pool-1',
        lvmType: 'striping',
      });
      expect(one(objects, 'StorageClass', 'open-local-device-hdd').reclaimPolicy).to.equal('Retain');
      const defaults = ofKind(objects, 'StorageClass').filter((sc) => sc.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true');
      expect(defaults.map((sc) => sc.metadata?.name)).to.deep.equal(['open-local-lvm']);
    });

    it('creates no StorageClass for an empty list', () => {
      expect(names(renderStack(variant('spec.storageClasses', [])), 'StorageClass')).to.deep.equal([]);
    });
  });

  describe('VolumeSnapshotClass', () => {
    it("renders Open-Local's open-local-lvm class with its parameters", () => {
      const classes = ofKind(renderStack(minimal), 'VolumeSnapshotClass');
      expect(classes).to.deep.equal([
        {
          apiVersion: 'snapshot.storage.k8s.io/v1',
          kind: 'VolumeSnapshotClass',
          metadata: classes[0]?.metadata,
          driver: DRIVER,
          deletionPolicy: 'Delete',
          parameters: {
            'csi.aliyun.com/readonly': 'true',
            'csi.aliyun.com/snapshot-initial-size': '4Gi',
            'csi.aliyun.com/snapshot-expansion-size': '1Gi',
            'csi.aliyun.com/snapshot-expansion-threshold': '50%',
          },
        },
      ]);
      expect(classes[0]?.metadata.name).to.equal('open-local-lvm');
    });

    it('renders custom snapshot sizes and Retain', () => {
      const cluster = variant('spec.volumeSnapshotClasses', [
        { name: 'open-local-lvm-big', initialSize: '20Gi', expansionSize: '5Gi', expansionThreshold: '80%', deletionPolicy: 'Retain' },
      ]);
      const vsc = one(renderStack(cluster), 'VolumeSnapshotClass', 'open-local-lvm-big');
      expect(vsc.deletionPolicy).to.equal('Retain');
      expect(vsc.parameters).to.deep.equal({
        'csi.aliyun.com/readonly': 'true',
        'csi.aliyun.com/snapshot-initial-size': '20Gi',
        'csi.aliyun.com/snapshot-expansion-size': '5Gi',
        'csi.aliyun.com/snapshot-expansion-threshold': '80%',
      });
    });
  });

  describe('toggles', () => {
    const extenderObjects = (objects: readonly KubeObject[]) =>
      objects.filter((o) => o.metadata.name === 'open-local-scheduler-extender' || o.metadata.name === 'open-local-scheduler-config').map((o) => `${o.kind}/${o.metadata.name}`);

    it('extender.enabled=false removes the extender Deployment, Service, ConfigMap, ServiceAccount and RBAC', () => {
      expect(extenderObjects(renderStack(minimal)).sort()).to.deep.equal([
        'ClusterRoleBinding/open-local-scheduler-extender',
        'ConfigMap/open-local-scheduler-config',
        'Deployment/open-local-scheduler-extender',
        'Service/open-local-scheduler-extender',
        'ServiceAccount/open-local-scheduler-extender',
      ]);
      expect(extenderObjects(renderStack(variant('spec.extender.enabled', false)))).to.deep.equal([]);
    });

    it('snapshots.enabled=false removes csi-snapshotter and every VolumeSnapshotClass', () => {
      const on = renderStack(minimal);
      const off = renderStack(variant('spec.csi.snapshots', { enabled: false, deployController: true }));
      const sidecars = (objects: KubeObject[]) => containers(objects).filter((c) => c.workload.name === 'open-local-csi-controller').map((c) => c.container.name);
      expect(sidecars(on)).to.include('csi-snapshotter');
      expect(sidecars(off)).not.to.include('csi-snapshotter');
      expect(names(on, 'VolumeSnapshotClass')).to.deep.equal(['open-local-lvm']);
      expect(names(off, 'VolumeSnapshotClass')).to.deep.equal([]);
      expect(names(off, 'Deployment')).not.to.include('open-local-snapshot-controller');
    });

    it('deployController=true adds the snapshot-controller Deployment with its own ServiceAccount', () => {
      const without = renderStack(minimal);
      const withController = renderStack(variant('spec.csi.snapshots.deployController', true));
      expect(names(without, 'Deployment')).not.to.include('open-local-snapshot-controller');
      expect(names(without, 'ServiceAccount')).not.to.include('open-local-snapshot-controller');
      const deployment = one(withController, 'Deployment', 'open-local-snapshot-controller');
      expect(deployment.spec?.template.spec?.serviceAccountName).to.equal('open-local-snapshot-controller');
      expect(names(withController, 'ServiceAccount')).to.include('open-local-snapshot-controller');
    });
  });

  describe('scheduler extender configuration', () => {
    const EXTENDER_FIELDS = [
      'urlPrefix', 'filterVerb', 'preemptVerb', 'prioritizeVerb', 'weight', 'bindVerb', 'enableHTTPS',
      'tlsConfig', 'httpTimeout', 'nodeCacheCapable', 'managedResources', 'ignorable',
    ];
    const TLS_FIELDS = ['insecure', 'serverName', 'certFile', 'keyFile', 'caFile', 'certData', 'keyData', 'caData'];

    function schedulerConfig(objects: readonly KubeObject[]): { config: JsonObject; extender: JsonObject; extenderYaml: unknown } {
      const data = one(objects, 'ConfigMap', 'open-local-scheduler-config').data ?? {};
      const config: unknown = parse(data['kube-scheduler-config.yaml'] ?? '');
      if (!isJsonObject(config)) throw new Error('kube-scheduler-config.yaml is not a YAML object');
      const extenders = config.extenders;
      const extender = Array.isArray(extenders) ? extenders[0] : undefined;
      if (!Array.isArray(extenders) || extenders.length !== 1 || !isJsonObject(extender)) throw new Error('expected exactly one extender');
      return { config, extender, extenderYaml: parse(data['extender.yaml'] ?? '') };
    }

    it('holds a KubeSchedulerConfiguration with one node-cache-capable extender using predicates and priorities', () => {
      const { config, extender, extenderYaml } = schedulerConfig(renderStack(minimal));
      expect(config.apiVersion).to.equal('kubescheduler.config.k8s.io/v1');
      expect(config.kind).to.equal('KubeSchedulerConfiguration');
      expect(extender.filterVerb).to.equal('predicates');
      expect(extender.prioritizeVerb).to.equal('priorities');
      expect(extender.nodeCacheCapable).to.equal(true);
      expect(extender.enableHTTPS).to.equal(false);
      expect(extender.urlPrefix).to.equal('http://open-local-scheduler-extender.open-local.svc:23000/scheduler');
      expect(extenderYaml).to.deep.equal([extender]);
    });

    it('uses only kube-scheduler v1 field names, all camelCase', () => {
      for (const objects of [renderStack(minimal), renderStack(full)]) {
        const { config, extender } = schedulerConfig(objects);
        expect(keysOf(config).filter((k) => !/^[a-z][A-Za-z0-9]*$/.test(k))).to.deep.equal([]);
        expect(EXTENDER_FIELDS).to.include.members(Object.keys(extender));
        if (isJsonObject(extender.tlsConfig)) expect(TLS_FIELDS).to.include.members(Object.keys(extender.tlsConfig));
      }
    });

    it("points urlPrefix at the extender Service's DNS name and port, following namespace, port and TLS", () => {
      let cluster = withField(minimal, 'spec.namespace', 'storage');
      cluster = withField(cluster, 'spec.extender.port', 24000);
      cluster = withField(cluster, 'spec.extender.tls', { enabled: true, secretName: 'extender-tls' });
      const objects = renderStack(cluster);
      const { extender } = schedulerConfig(objects);
      const service = one(objects, 'Service', 'open-local-scheduler-extender');
      const url = new URL(typeof extender.urlPrefix === 'string' ? extender.urlPrefix : '');
      expect(url.protocol).to.equal('https:');
      expect(url.hostname).to.equal(`${service.metadata?.name ?? ''}.${service.metadata?.namespace ?? ''}.svc`);
      expect(service.metadata?.namespace).to.equal('storage');
      expect(Number(url.port)).to.equal(service.spec?.ports?.[0]?.port);
      expect(Number(url.port)).to.equal(24000);
      expect(url.pathname).to.equal('/scheduler');
      expect(extender.enableHTTPS).to.equal(true);
      // The Service reaches the extender container's port by name.
      const port = container(objects, 'open-local-scheduler-extender', 'extender').ports?.find((p) => p.name === service.spec?.ports?.[0]?.targetPort);
      expect(port?.containerPort).to.equal(24000);
    });
  });
});
