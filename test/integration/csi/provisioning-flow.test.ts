// The whole provisioning path with the real peers: the real CSI sidecars (external-provisioner, -resizer,
// -snapshotter, snapshot-controller, with the flags synth renders) and `open-local csi --mode controller` on the
// host, the real API server and PV controller, and the node plugin and agent in a UML guest on real LVM (the VG made
// by prepare-vg). A claim with the selected-node annotation, as kube-scheduler's VolumeBinding sets it, becomes a PV
// pinned to the node, a Ready LocalVolume and an LV in the guest; a resize grows the LV; a VolumeSnapshot of the
// read-only class becomes an LVM snapshot that a restored claim binds to on the same node; deleting the claims
// removes the LVs; and capacity tracking publishes the VG's free space as CSIStorageCapacity objects.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CSI_DRIVER_NAME } from '../../../api/group.js';
import { parseQuantity } from '../../../lib/quantity.js';
import { names } from '../../../synth/names.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { nodePluginCommand, startCsiController, startCsiSidecars, type CsiSidecars } from '../../env/csi-sidecars.js';
import { waitFor } from '../../env/net.js';
import { createNetns, type TestNetns } from '../../env/netns.js';
import { tailFile, type ManagedProcess } from '../../env/processes.js';
import { checkUml, runInUml, shellQuote, type UmlResult } from '../../env/uml.js';
import { loadExample, withField } from '../../fixtures/examples.js';
import { eventually } from '../support/kubelet-play.js';
import { setUpControllerStack, type ControllerStack } from './controller-stack.js';

const NODE = 'uml-storage-node';
const VG = 'open-local-pool-0';
const DISK = '/dev/ubda';
const GI = 2 ** 30;
const LVM_REPORT = ['--reportformat', 'json', '--units', 'b', '--nosuffix'];
const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');

interface Lv {
  readonly lv_name: string;
  readonly lv_size: string;
  readonly origin: string;
}

interface Json {
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly uid?: string; readonly annotations?: Record<string, string> };
  readonly spec?: Record<string, unknown>;
  readonly status?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

describe('provisioning through the real CSI sidecars to real LVM in a UML node', function () {
  this.timeout(900_000);
  let dir = '';
  let ns: TestNetns | undefined;
  let cp: ControlPlane | undefined;
  let stack: ControllerStack;
  let driver: ManagedProcess | undefined;
  let sidecars: CsiSidecars | undefined;
  let guest: Promise<UmlResult> | undefined;
  let guestExit: UmlResult | Error | undefined;
  let requests = 0;
  let cluster: unknown;

  /** Runs `script` in the guest and returns its output; fails with the guest's logs if it exits non-zero. */
  const inGuest = async (script: string): Promise<string> => {
    const id = `r${++requests}`;
    const req = join(dir, 'req', id);
    await writeFile(`${req}.tmp`, `${script}\n`);
    await rename(`${req}.tmp`, `${req}.sh`);
    await waitFor(`guest request ${id}`, () => Promise.resolve(existsSync(`${req}.rc`)), {
      timeoutMs: 120_000,
      abort: () => (guestExit ? `the guest stopped: ${guestExit instanceof Error ? guestExit.message : guestExit.output}` : undefined),
    });
    const out = await readFile(`${req}.out`, 'utf8');
    const rc = (await readFile(`${req}.rc`, 'utf8')).trim();
    if (rc !== '0') throw new Error(`guest: \`${script}\` exited ${rc}:\n${out}`);
    return out;
  };
  const lvs = async (): Promise<Lv[]> => {
    const out = await inGuest(['lvm', 'lvs', ...LVM_REPORT, '-o', 'lv_name,lv_size,origin', VG].map(shellQuote).join(' '));
    return (JSON.parse(out) as { report: { lv: Lv[] }[] }).report[0]?.lv ?? [];
  };
  const vgFree = async (): Promise<bigint> => {
    const out = await inGuest(['lvm', 'vgs', ...LVM_REPORT, '-o', 'vg_free', VG].map(shellQuote).join(' '));
    return BigInt((JSON.parse(out) as { report: { vg: { vg_free: string }[] }[] }).report[0]?.vg[0]?.vg_free ?? '-1');
  };

  const get = async (path: string): Promise<Json | undefined> => {
    const r = await stack.raw.call('GET', path);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
    return r.body;
  };
  const send = async (method: string, path: string, body: unknown, contentType?: string): Promise<Json> => {
    const r = await stack.raw.call(method, path, body, contentType);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r.body;
  };
  const pvcPath = (name = ''): string => `/api/v1/namespaces/default/persistentvolumeclaims${name ? `/${name}` : ''}`;
  const claim = (name: string, size: string, extra: Record<string, unknown> = {}): Json => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    // What kube-scheduler's VolumeBinding plugin writes on a WaitForFirstConsumer claim once it placed the pod.
    metadata: { name, namespace: 'default', annotations: { 'volume.kubernetes.io/selected-node': NODE } },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'open-local-lvm', resources: { requests: { storage: size } }, ...extra },
  });
  const boundPv = (pvc: string): Promise<Json> =>
    eventually(
      `claim ${pvc} Bound`,
      async () => {
        const c = await get(pvcPath(pvc));
        const volume = c?.spec?.['volumeName'];
        return c?.status?.['phase'] === 'Bound' && typeof volume === 'string' ? get(`/api/v1/persistentvolumes/${volume}`) : undefined;
      },
      300_000,
    );
  const handleOf = (pv: Json): string => {
    const handle = (pv.spec?.['csi'] as { volumeHandle?: string } | undefined)?.volumeHandle;
    if (!handle) throw new Error(`PV ${pv.metadata?.name ?? '?'} has no CSI volume handle`);
    return handle;
  };

  before(async function () {
    await checkUml();
    dir = await mkdtemp(join(tmpdir(), 'open-local-csi-flow-'));
    await mkdir(join(dir, 'req'));
    // The kubelet dir the rendered node plugin is given is the test's (the guest sees the host's filesystem).
    cluster = withField(
      withField(
        withField(
          withField(loadExample('minimal.yaml'), 'spec.csi.storageCapacityTracking', true),
          'spec.csi.snapshots.deployController',
          true,
        ),
        'spec.csi.kubeletDir',
        join(dir, 'kubelet'),
      ),
      'spec.storage.globalConfig.resourceToBeInited.vgs',
      [{ name: VG, devices: [DISK] }],
    );
    ns = await createNetns();
    // Only the volume controllers: binding (and the storage-provisioner annotation csi-provisioner waits for), and the
    // claim and PV protection finalizers' removal, without which a deleted claim never lets its PV go. The ReplicaSet
    // and Deployment controllers would scale away the Pod that stands for the CSI controller pod.
    const controllers = ['persistentvolume-binder-controller', 'persistentvolumeclaim-protection-controller', 'persistentvolume-protection-controller'];
    cp = await startControlPlane({ extraSANs: [ns.hostIp], withControllerManager: { controllers } });
    stack = await setUpControllerStack(cp, cluster, dir);

    // What the kubelet and the NLS controller would have written for a storage node.
    await send('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } } });
    await send('POST', '/apis/storage.k8s.io/v1/csinodes', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSINode',
      metadata: { name: NODE },
      spec: { drivers: [{ name: CSI_DRIVER_NAME, nodeID: NODE, topologyKeys: ['kubernetes.io/hostname'] }] },
    });
    await send('POST', '/apis/csi.aliyun.com/v1alpha1/nodelocalstorages', {
      apiVersion: 'csi.aliyun.com/v1alpha1',
      kind: 'NodeLocalStorage',
      metadata: { name: NODE },
      spec: { nodeName: NODE, listConfig: { vgs: { include: ['open-local-pool-[0-9]+'] } }, resourceToBeInited: { vgs: [{ name: VG, devices: [DISK] }] } },
    });

    // The node DaemonSet's pod on the node, and its ServiceAccount token bound to that pod, as the kubelet mounts
    // it: the node-name claim in it is what the rendered admission policy lets write this node's LocalVolumes.
    const nodePod = { name: `${names.node}-x2v9q`, namespace: stack.namespace, nodeName: NODE };
    const created = await send('POST', `/api/v1/namespaces/${stack.namespace}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: nodePod.name },
      spec: { nodeName: NODE, serviceAccountName: names.node, containers: [{ name: 'csi-plugin', image: 'open-local:test' }] },
    });
    const tokenRequest = await send('POST', `/api/v1/namespaces/${stack.namespace}/serviceaccounts/${names.node}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: nodePod.name, uid: created.metadata?.uid } },
    });
    // The guest reaches the API server at the tap address.
    const port = Number(new URL(cp.server).port);
    await ns.forwardTcp(port, { host: '127.0.0.1', port });
    const nodeKc = JSON.parse((await cp.kubeConfigForServiceAccount(stack.namespace, names.node)).exportConfig()) as {
      clusters: { cluster: { server: string } }[];
      users: { user: { token?: string } }[];
    };
    for (const c of nodeKc.clusters) c.cluster.server = `https://${ns.hostIp}:${port}`;
    for (const u of nodeKc.users) u.user.token = (tokenRequest.status as { token: string }).token;
    const nodeKubeconfig = join(dir, 'node.kubeconfig');
    await writeFile(nodeKubeconfig, JSON.stringify(nodeKc), { mode: 0o600 });
    const plugin = nodePluginCommand(stack.objects, {
      socket: join(dir, 'node.sock'),
      kubeconfig: nodeKubeconfig,
      pod: nodePod,
      extra: ['--host-exec=direct'],
    });
    const envLines = Object.entries(plugin.env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
    await writeFile(
      join(dir, 'node-plugin.sh'),
      [...envLines, `exec node bin/open-local.js ${plugin.args.map(shellQuote).join(' ')}`].join('\n') + '\n',
    );
    guest = runInUml({
      disks: [{ size: '8G' }],
      tap: { netns: ns.name, device: ns.tap, address: ns.guestCidr },
      command: { script: join(REPO_ROOT, 'test/integration/csi/guest/storage-node.sh') },
      cwd: REPO_ROOT,
      env: {
        DIR: dir,
        NODE,
        NODE_BIN: resolve(process.execPath, '..'),
        OPEN_LOCAL_INIT_CONFIG: JSON.stringify({ vgs: [{ name: VG, devices: [DISK] }] }),
      },
      timeoutMs: 850_000,
    });
    guest.then(
      (r) => (guestExit = r),
      (err: unknown) => (guestExit = err instanceof Error ? err : new Error(String(err))),
    );
    await waitFor('the guest preparing its VG and starting the node plugin', () => Promise.resolve(existsSync(join(dir, 'guest-ready'))), {
      timeoutMs: 180_000,
      abort: () => (guestExit ? `the guest stopped: ${guestExit instanceof Error ? guestExit.message : guestExit.output}` : undefined),
    });

    const socket = join(dir, 'controller.sock');
    driver = startCsiController({ cluster, socket, kubeconfig: stack.kubeconfig, pod: stack.pod, logPath: join(dir, 'csi-controller.log') });
    const running = driver;
    await waitFor('the controller serving its socket', () => Promise.resolve(existsSync(socket)), {
      timeoutMs: 60_000,
      abort: () => (running.exitInfo() ? `the controller exited:\n${tailFile(running.logPath, 40)}` : undefined),
    });
    sidecars = startCsiSidecars({
      cluster,
      socket,
      kubeconfig: stack.kubeconfig,
      snapshotControllerKubeconfig: stack.snapshotControllerKubeconfig,
      pod: stack.pod,
      logDir: dir,
    });
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed' || !dir) return;
    for (const log of ['csi-controller', 'csi-provisioner', 'csi-resizer', 'csi-snapshotter', 'snapshot-controller', 'node-plugin', 'agent']) {
      console.log(`--- ${log}.log (tail) ---\n${tailFile(join(dir, `${log}.log`), 25)}`);
    }
  });

  after(async () => {
    if (dir) await writeFile(join(dir, 'stop'), '').catch(() => undefined);
    await guest?.catch(() => undefined);
    await sidecars?.stop();
    await driver?.stop();
    await cp?.stop();
    await ns?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("publishes the VG's free space as a CSIStorageCapacity for the node's topology", async () => {
    const free = await vgFree();
    const capacity = await eventually(
      `a CSIStorageCapacity of open-local-lvm for ${NODE} with ${free} bytes`,
      async () => {
        const list = await get(`/apis/storage.k8s.io/v1/namespaces/${stack.namespace}/csistoragecapacities`);
        const items = (list?.['items'] ?? []) as { storageClassName: string; capacity?: string; nodeTopology?: { matchLabels?: Record<string, string> } }[];
        const mine = items.find((c) => c.storageClassName === 'open-local-lvm' && c.nodeTopology?.matchLabels?.['kubernetes.io/hostname'] === NODE);
        // Thrown, not returned: the timeout message then says what was there.
        if (mine?.capacity === undefined || parseQuantity(mine.capacity) !== free) {
          const seen = items.map((c) => `${c.storageClassName}@${c.nodeTopology?.matchLabels?.['kubernetes.io/hostname'] ?? '?'}=${c.capacity ?? '-'}`);
          throw new Error(`found ${seen.join(', ') || 'none'}`);
        }
        return mine;
      },
      // The provisioner polls GetCapacity every minute (--capacity-poll-interval): the first answer may predate the agent's status.
      240_000,
    );
    expect(parseQuantity(capacity.capacity ?? '0')).to.equal(free);
  });

  let volume = '';
  it('provisions a WaitForFirstConsumer claim on the selected node: PV with node affinity, Ready LocalVolume, LV in the guest', async () => {
    await send('POST', pvcPath(), claim('data', '1Gi'));
    const pv = await boundPv('data');
    volume = handleOf(pv);
    const terms = (pv.spec?.['nodeAffinity'] as { required?: { nodeSelectorTerms?: { matchExpressions?: { key: string; values: string[] }[] }[] } }).required?.nodeSelectorTerms;
    expect(terms?.[0]?.matchExpressions?.find((e) => e.key === 'kubernetes.io/hostname')?.values).to.deep.equal([NODE]);
    const lv = await get(`/apis/csi.aliyun.com/v1alpha1/localvolumes/${volume}`);
    expect(lv?.status?.['phase'], JSON.stringify(lv?.status)).to.equal('Ready');
    const found = (await lvs()).find((l) => l.lv_name === volume);
    expect(found?.lv_size, `LV ${volume} in ${VG}`).to.equal(String(GI));
  });

  it('grows the LV when the claim is resized (csi-resizer → ControllerExpandVolume → node)', async () => {
    await send('PATCH', pvcPath('data'), { spec: { resources: { requests: { storage: '2Gi' } } } }, 'application/merge-patch+json');
    await eventually(
      `LV ${volume} at 2Gi`,
      async () => ((await lvs()).find((l) => l.lv_name === volume)?.lv_size === String(2 * GI) ? true : undefined),
      300_000,
    );
    const pv = await eventually('the PV at 2Gi', async () => {
      const p = await get(`/api/v1/persistentvolumes/${(await get(pvcPath('data')))?.spec?.['volumeName'] as string}`);
      return (p?.spec?.['capacity'] as { storage?: string } | undefined)?.storage === '2Gi' ? p : undefined;
    });
    expect(handleOf(pv)).to.equal(volume);
  });

  let snapshotLv = '';
  it('takes a read-only VolumeSnapshot as an LVM snapshot of the LV, and restores a claim from it on the same node', async () => {
    const snapshots = '/apis/snapshot.storage.k8s.io/v1/namespaces/default/volumesnapshots';
    await send('POST', snapshots, {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name: 'data-snap', namespace: 'default' },
      spec: { volumeSnapshotClassName: 'open-local-lvm', source: { persistentVolumeClaimName: 'data' } },
    });
    const ready = await eventually(
      'VolumeSnapshot data-snap readyToUse',
      async () => {
        const s = await get(`${snapshots}/data-snap`);
        return s?.status?.['readyToUse'] === true ? s : undefined;
      },
      300_000,
    );
    const content = await get(`/apis/snapshot.storage.k8s.io/v1/volumesnapshotcontents/${ready.status?.['boundVolumeSnapshotContentName'] as string}`);
    snapshotLv = (content?.status as { snapshotHandle?: string } | undefined)?.snapshotHandle ?? '';
    const all = await lvs();
    expect(all.find((l) => l.lv_name === snapshotLv)?.origin, `snapshot LV ${snapshotLv} in ${JSON.stringify(all)}`).to.equal(volume);

    const restoreSize = ready.status?.['restoreSize'];
    if (typeof restoreSize !== 'string') throw new Error(`VolumeSnapshot data-snap has no restoreSize: ${JSON.stringify(ready.status)}`);
    await send(
      'POST',
      pvcPath(),
      claim('restored', restoreSize, { dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'data-snap' } }),
    );
    const pv = await boundPv('restored');
    const terms = (pv.spec?.['nodeAffinity'] as { required?: { nodeSelectorTerms?: { matchExpressions?: { key: string; values: string[] }[] }[] } }).required?.nodeSelectorTerms;
    expect(terms?.[0]?.matchExpressions?.find((e) => e.key === 'kubernetes.io/hostname')?.values).to.deep.equal([NODE]);
    // A read-only snapshot restores as the snapshot LV itself: no new LV on the node.
    expect((await lvs()).map((l) => l.lv_name).sort()).to.deep.equal([volume, snapshotLv].sort());
  });

  it('removes the LVs when the claims and the snapshot are deleted', async () => {
    const restoredPv = (await get(pvcPath('restored')))?.spec?.['volumeName'];
    await send('DELETE', pvcPath('restored'), undefined);
    // The restored volume is the snapshot LV: the snapshot may go only once no PV uses it (else DeleteSnapshot is
    // refused and csi-snapshotter backs off for minutes).
    await eventually(
      `restored PV ${String(restoredPv)} gone`,
      async () => (typeof restoredPv === 'string' && (await get(`/api/v1/persistentvolumes/${restoredPv}`)) === undefined ? true : undefined),
      300_000,
    );
    await send('DELETE', '/apis/snapshot.storage.k8s.io/v1/namespaces/default/volumesnapshots/data-snap', undefined);
    // Its LocalVolume too (named by the snapshot ID): until then the source volume has a dependent and may not go.
    await eventually(
      `snapshot LV ${snapshotLv} and its LocalVolume gone`,
      async () =>
        (await lvs()).some((l) => l.lv_name === snapshotLv) || (await get(`/apis/csi.aliyun.com/v1alpha1/localvolumes/${snapshotLv}`)) !== undefined
          ? undefined
          : true,
      300_000,
    );
    await send('DELETE', pvcPath('data'), undefined);
    await eventually(`LV ${volume} gone`, async () => ((await lvs()).length === 0 ? true : undefined), 300_000);
    await eventually(
      `LocalVolume ${volume} and PV ${volume} gone`,
      async () =>
        (await get(`/apis/csi.aliyun.com/v1alpha1/localvolumes/${volume}`)) === undefined && (await get(`/api/v1/persistentvolumes/${volume}`)) === undefined
          ? true
          : undefined,
      120_000,
    );
  });
});
