/**
 * Benchmark (prints figures; asserts nothing): the CSI driver on real LVM. One UML storage node with two disks in
 * VG open-local-pool-0 runs `open-local csi --mode all` and the agent (compiled, as the image runs them) against a
 * real kube-apiserver, with the roles synth renders. Three measurements in the same run:
 *
 * 1. direct CSI calls from inside the guest (test/bench/guest/csi-calls.ts): N LVM CreateVolume, then N
 *    NodeStageVolume + NodePublishVolume (ext4, at kubelet paths), each call timed one after the other;
 * 2. N bare `lvcreate` of the same size with the reconciler's flags, each timed by a shell around it: the baseline
 *    the driver's overhead is measured against;
 * 3. the real csi-provisioner (the rendered controller Deployment's args made runnable by test/env/csi-sidecars.ts,
 *    run in the guest beside the socket) and
 *    N claims of the rendered WaitForFirstConsumer class with the selected-node annotation kube-scheduler writes,
 *    created at once on the host: claim creation → Bound, and the deletion until every PV and LV is gone.
 *
 * The share of CreateVolume spent in lvm2 comes from the driver's debug log ("ran host command" with its ms).
 *
 *   npm run build && npm run bench:csi -- [--count 50] [--size-mib 16]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { crdManifests } from '../../api/generated/crds.js';
import { CSI_DRIVER_NAME } from '../../api/group.js';
import type { NodeLocalStorage } from '../../api/generated/types.js';
import { KubeApi } from '../../lib/kube-api.js';
import { names } from '../../synth/names.js';
import { componentClusterRoles } from '../../synth/rbac-rules.js';
import { renderStack, type KubeObject } from '../../synth/render.js';
import { startControlPlane } from '../env/control-plane.js';
import { sidecarCommands } from '../env/csi-sidecars.js';
import { createNetns } from '../env/netns.js';
import { peerPath } from '../env/peers.js';
import { shellQuote } from '../env/uml.js';
import { loadExample } from '../fixtures/examples.js';
import { startNodeGuest } from '../integration/csi/support/node-guest.js';
import { createNode, eventually } from '../integration/support/kubelet-play.js';
import { installCrds, rawApi } from '../integration/support/raw-api.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '50' }, 'size-mib': { type: 'string', default: '16' } } });
const COUNT = Number(values.count);
const BYTES = Number(values['size-mib']) * 2 ** 20;
const NODE = 'bench-node';
const VG = 'open-local-pool-0';
const CLASS = 'open-local-lvm';
const SOCKET = '/run/csi/csi.sock';
const KUBELET = '/mnt/kubelet';
const NS = 'default';
const GV = 'csi.aliyun.com/v1alpha1';

interface Phase {
  readonly ms: number[];
  readonly from: number;
  readonly to: number;
}
interface Direct {
  readonly create: Phase;
  readonly stagePublish: Phase;
  readonly teardown: Phase;
  readonly lvcreate: Phase;
  readonly lvremove: Phase;
}
interface HostCommand {
  readonly argv: readonly string[];
  readonly ms: number;
  /** Epoch ms at which the command ended (the log line's time). */
  readonly at: number;
}

const quantile = (values: readonly number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};
const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;
const line = (label: string, ms: readonly number[]) => {
  console.log(`  ${label.padEnd(34)} p50 ${fmt(quantile(ms, 0.5))}   p95 ${fmt(quantile(ms, 0.95))}`);
};

/** Every host command the driver logged at debug level (pino JSON lines; other lines are skipped). */
function hostCommands(log: string): HostCommand[] {
  const out: HostCommand[] = [];
  for (const text of log.split('\n')) {
    if (!text.startsWith('{')) continue;
    const entry = JSON.parse(text) as { msg?: string; argv?: string[]; ms?: number; time?: string };
    if (entry.msg === 'ran host command' && entry.argv && typeof entry.ms === 'number' && entry.time) out.push({ argv: entry.argv, ms: entry.ms, at: Date.parse(entry.time) });
  }
  return out;
}

/**
 * The host commands that ended inside `phase`: count and milliseconds per kind, and the time at least one of them
 * was running (their intervals merged: the driver runs some reports concurrently, so their sum can exceed the wall).
 */
function lvmWithin(commands: readonly HostCommand[], phase: Phase): { busy: number; byKind: Map<string, { n: number; ms: number }> } {
  const byKind = new Map<string, { n: number; ms: number }>();
  const inside = commands.filter((x) => x.at >= phase.from && x.at <= phase.to);
  for (const c of inside) {
    const kind = c.argv[0] === 'lvm' ? `lvm ${c.argv[1] ?? ''}` : (c.argv[0] ?? '?');
    const k = byKind.get(kind) ?? { n: 0, ms: 0 };
    byKind.set(kind, { n: k.n + 1, ms: k.ms + c.ms });
  }
  let busy = 0;
  let until = -Infinity;
  for (const [start, end] of inside.map((c) => [Math.max(phase.from, c.at - c.ms), c.at] as const).sort((a, b) => a[0] - b[0])) {
    busy += Math.max(0, end - Math.max(start, until));
    until = Math.max(until, end);
  }
  return { busy, byKind };
}

const netns = await createNetns();
// The PV binder binds what csi-provisioner creates; the protection controllers lift the finalizers a deletion waits on.
const cp = await startControlPlane({ extraSANs: [netns.hostIp], withControllerManager: { controllers: ['persistentvolume-binder-controller', 'persistentvolumeclaim-protection-controller', 'persistentvolume-protection-controller'] } });
let guest: Awaited<ReturnType<typeof startNodeGuest>> | undefined;
try {
  await installCrds(rawApi(cp), crdManifests);
  const api = new KubeApi(cp.adminKubeConfig());
  const objects = renderStack(loadExample('minimal.yaml'));
  const sa = { namespace: 'open-local', name: 'bench' };
  await api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: sa.namespace } } });
  // The guest's processes (driver, agent, provisioner) run with the roles synth grants the node and controller pods.
  for (const role of componentClusterRoles().filter((r) => r.name === names.node || r.name === names.csiController)) {
    await api.apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: role.name }, rules: role.rules.map((rule) => ({ apiGroups: rule.apiGroups, resources: rule.resources, verbs: rule.verbs, ...(rule.resourceNames ? { resourceNames: rule.resourceNames } : {}) })) }, 'bench');
    await api.apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `bench-${role.name}` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.name }, subjects: [{ kind: 'ServiceAccount', ...sa }] }, 'bench');
  }
  for (const o of objects.filter((x) => x.kind === 'CSIDriver' || (x.kind === 'StorageClass' && x.metadata.name === CLASS))) await api.apply(o, 'bench');
  // What the kubelet (node, CSINode from the registrar) and the NLS controller would have written for the node.
  await createNode(api, NODE);
  await api.request('POST', '/apis/storage.k8s.io/v1/csinodes', { body: { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name: NODE }, spec: { drivers: [{ name: CSI_DRIVER_NAME, nodeID: NODE, topologyKeys: ['kubernetes.io/hostname'] }] } } });
  await api.request('POST', `/apis/${GV}/nodelocalstorages`, { body: { apiVersion: GV, kind: 'NodeLocalStorage', metadata: { name: NODE }, spec: { nodeName: NODE, listConfig: { vgs: { include: ['open-local-pool-[0-9]+'] } } } } });

  // The compiled CLI, as the image runs it: through tsx each process held about 250 MiB more, and starting a
  // process (every lvcreate) from a larger one costs more, under UML most of all.
  const bin = join(process.cwd(), 'dist', 'bin', 'open-local.js');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build first (the bench runs the compiled driver and agent, as the image does)`);
  const csi = [bin, 'csi', '--mode=all', `--node-id=${NODE}`, `--endpoint=unix://${SOCKET}`, `--kubelet-dir=${KUBELET}`, '--state-dir=/var/lib/open-local/csi', '--host-exec=direct', '--operation-timeout=120', '--log-level=debug'];
  const agent = [bin, 'agent', `--node-name=${NODE}`, '--host-exec=direct', '--http-addr=', '--log-level=warn'];
  const g = (guest = await startNodeGuest({
    cp,
    netns,
    disks: [{ size: '2G' }, { size: '2G' }],
    setup: `lvm pvcreate -q /dev/ubda /dev/ubdb && lvm vgcreate -q --addtag open-local ${VG} /dev/ubda /dev/ubdb && mkdir -p ${KUBELET}`,
    command: ['sh', '-c', `node ${agent.join(' ')} >"$OUT/agent.log" 2>&1 & exec node ${csi.join(' ')}`],
    identity: { serviceAccount: sa },
    timeoutMs: 3_600_000,
  }));
  await g.started();
  await g.ok(`for i in $(seq 900); do [ -S ${SOCKET} ] && exit 0; sleep 0.2; done; echo no socket; exit 1`, 240_000);
  // CreateVolume places volumes from what the agent reported: wait until it reported the VG.
  await eventually('the agent to report the VG', async () => ((await api.get<NodeLocalStorage>(GV, 'NodeLocalStorage', NODE))?.status?.nodeStorageInfo?.volumeGroups?.some((v) => v.name === VG) ? true : undefined), 240_000);

  console.log(`\nopen-local csi, ${COUNT} LVM volumes of ${BYTES / 2 ** 20} MiB, one UML node (2 disks), ${new Date().toISOString()}`);
  const resultPath = join(g.out, 'direct.json');
  await g.ok(['node', '--import', 'tsx', 'test/bench/guest/csi-calls.ts', resultPath, SOCKET, KUBELET, NODE, VG, String(COUNT), String(BYTES)].map(shellQuote).join(' '), 3_000_000);
  const direct = JSON.parse(await g.ok(`cat ${shellQuote(resultPath)}`)) as Direct;

  // The provisioner path: csi-provisioner in the guest (the socket is there), claims created on the host at once.
  const provisioner = sidecarCommands(objects, { socket: SOCKET, kubeconfig: join(g.out, 'kubeconfig'), pod: { name: 'bench-csi-controller', namespace: sa.namespace } }).find((c) => c.name === 'csi-provisioner');
  if (!provisioner) throw new Error('synth rendered no csi-provisioner');
  const env = Object.entries(provisioner.env).map(([k, v]) => `${k}=${shellQuote(v)}`);
  await g.ok(`${env.join(' ')} ${[peerPath('csi-provisioner'), ...provisioner.args].map(shellQuote).join(' ')} >"$OUT/provisioner.log" 2>&1 &`);
  const claimPath = (name = '') => `/api/v1/namespaces/${NS}/persistentvolumeclaims${name ? `/${name}` : ''}`;
  const claimNames = Array.from({ length: COUNT }, (_, i) => `bench-claim-${i}`);
  const createdAt = new Map<string, number>();
  const boundAt = new Map<string, number>();
  const provisionFrom = Date.now();
  await Promise.all(claimNames.map(async (name) => {
    createdAt.set(name, Date.now());
    await api.request('POST', claimPath(), {
      body: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        // What kube-scheduler's VolumeBinding plugin writes on a WaitForFirstConsumer claim once it placed the pod.
        metadata: { name, namespace: NS, annotations: { 'volume.kubernetes.io/selected-node': NODE } },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: CLASS, resources: { requests: { storage: String(BYTES) } } },
      },
    });
  }));
  type Claim = KubeObject & { status?: { phase?: string } };
  await eventually(`${COUNT} claims Bound`, async () => {
    const now = Date.now();
    for (const c of (await api.list<Claim>('v1', 'PersistentVolumeClaim', { namespace: NS })).items) {
      if (c.status?.phase === 'Bound' && !boundAt.has(c.metadata.name)) boundAt.set(c.metadata.name, now);
    }
    return boundAt.size === COUNT ? true : undefined;
  }, 1_800_000);
  const provisionWall = Math.max(...boundAt.values()) - provisionFrom;
  const toBound = claimNames.map((n) => (boundAt.get(n) ?? 0) - (createdAt.get(n) ?? 0));

  const deleteFrom = Date.now();
  await Promise.all(claimNames.map((name) => api.request('DELETE', claimPath(name))));
  await eventually('every PV and LocalVolume gone', async () => {
    const pvs = (await api.list<KubeObject>('v1', 'PersistentVolume')).items.length;
    const lvs = (await api.list<KubeObject>(GV, 'LocalVolume')).items.length;
    return pvs === 0 && lvs === 0 ? true : undefined;
  }, 1_800_000);
  const deleteWall = Date.now() - deleteFrom;
  const leftLvs = (await g.ok(`lvm lvs --noheadings -o lv_name ${VG}`)).trim();

  const commands = hostCommands(await g.log());
  const lvm = lvmWithin(commands, direct.create);
  const createTotal = direct.create.ms.reduce((a, b) => a + b, 0);
  console.log('\ndirect CSI calls (client in the guest, one call at a time)');
  line('CreateVolume', direct.create.ms);
  line('NodeStageVolume + NodePublishVolume', direct.stagePublish.ms);
  line('Unpublish + Unstage + DeleteVolume', direct.teardown.ms);
  console.log('\nlvm2 alone, same size and flags');
  line('lvcreate', direct.lvcreate.ms);
  line('lvremove', direct.lvremove.ms);
  console.log(`\n  CreateVolume − lvcreate at p50:    ${fmt(quantile(direct.create.ms, 0.5) - quantile(direct.lvcreate.ms, 0.5))}   (goal < 100 ms)`);
  // The same overhead measured per call, each CreateVolume against the driver's own lvcreate inside it: on a machine
  // whose load changes between the phases, the baseline's lvcreate may run under another load than the calls.
  const ownLvcreate = new Map(commands.filter((c) => c.argv[1] === 'lvcreate' && c.at >= direct.create.from && c.at <= direct.create.to).map((c) => [c.argv[c.argv.indexOf('-n') + 1], c.ms]));
  const over = direct.create.ms.flatMap((ms, i) => {
    const own = ownLvcreate.get(`pvc-bench-direct-${i}`);
    return own === undefined ? [] : [ms - own];
  });
  line('CreateVolume − its own lvcreate', over);
  console.log(`  lvm2 running during CreateVolume:   ${fmt(lvm.busy / COUNT)} per volume, ${((100 * lvm.busy) / createTotal).toFixed(0)}% of its time`);
  for (const [kind, k] of [...lvm.byKind].sort((a, b) => b[1].ms - a[1].ms)) console.log(`    ${kind.padEnd(16)} ${(k.n / COUNT).toFixed(1)} per volume, ${fmt(k.ms / k.n)} each`);
  console.log('\nreal csi-provisioner, claims created at once (WaitForFirstConsumer, selected-node set)');
  line('claim created → Bound', toBound);
  console.log(`  all ${COUNT} Bound after:               ${fmt(provisionWall)}`);
  console.log(`  delete → every PV and LocalVolume gone: ${fmt(deleteWall)}; LVs left in ${VG}: ${leftLvs === '' ? 'none' : leftLvs.replace(/\s+/g, ' ')}`);
} finally {
  const g = guest;
  if (g) {
    await g.stop().catch((e: unknown) => {
      console.error(`guest stop: ${String(e)}`);
    });
    await g.dispose();
  }
  await netns.destroy();
  await cp.stop();
}
