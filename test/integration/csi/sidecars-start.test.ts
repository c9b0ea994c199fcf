// The real Kubernetes CSI sidecars (built from the Go module proxy, see scripts/build-peers.sh csi-sidecars) start
// against the real API server and our driver in controller mode, each with the flags, environment and RBAC synth
// renders: they reach the driver (GetPluginInfo, capabilities) and start their controllers, and the snapshot CRDs
// of the same external-snapshotter release install and are Established.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CSI_DRIVER_NAME } from '../../../api/group.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { startCsiController, startCsiSidecars, type CsiSidecars } from '../../env/csi-sidecars.js';
import { freePorts, httpGet, waitFor } from '../../env/net.js';
import { tailFile, type ManagedProcess } from '../../env/processes.js';
import { loadExample, withField } from '../../fixtures/examples.js';
import { setUpControllerStack, type ControllerStack } from './controller-stack.js';

const DRIVER = CSI_DRIVER_NAME.replaceAll('.', '\\.');

describe('the real CSI sidecars against open-local csi --mode controller', function () {
  this.timeout(300_000);
  // Capacity tracking on and snapshot-controller rendered: every sidecar the product can run, with every flag.
  const cluster = withField(
    withField(loadExample('minimal.yaml'), 'spec.csi.storageCapacityTracking', true),
    'spec.csi.snapshots.deployController',
    true,
  );
  let cp: ControlPlane | undefined;
  let dir = '';
  let stack: ControllerStack;
  let driver: ManagedProcess | undefined;
  let sidecars: CsiSidecars | undefined;
  let metrics = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'open-local-sidecars-'));
    cp = await startControlPlane();
    stack = await setUpControllerStack(cp, cluster, dir);
    const socket = join(dir, 'csi.sock');
    driver = startCsiController({ cluster, socket, kubeconfig: stack.kubeconfig, pod: stack.pod, logPath: join(dir, 'csi-controller.log') });
    const running = driver;
    await waitFor('the driver serving its socket', () => Promise.resolve(existsSync(socket)), {
      timeoutMs: 60_000,
      abort: () => (running.exitInfo() ? `the driver exited:\n${tailFile(running.logPath, 40)}` : undefined),
    });
    const [port = 0] = await freePorts(1);
    metrics = `127.0.0.1:${port}`;
    sidecars = startCsiSidecars({
      cluster,
      socket,
      kubeconfig: stack.kubeconfig,
      snapshotControllerKubeconfig: stack.snapshotControllerKubeconfig,
      pod: stack.pod,
      logDir: dir,
      httpEndpoints: { 'csi-provisioner': metrics },
    });
  });

  after(async () => {
    await sidecars?.stop();
    await driver?.stop();
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs the snapshot CRDs of the pinned release, Established', async () => {
    for (const crd of ['volumesnapshots', 'volumesnapshotclasses', 'volumesnapshotcontents']) {
      const r = await stack.raw.call('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd}.snapshot.storage.k8s.io`);
      const conditions = (r.body.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      expect(conditions.find((c) => c.type === 'Established')?.status, r.text).to.equal('True');
    }
    // The rendered VolumeSnapshotClasses are valid against the real schema (they were applied through it).
    const classes = await stack.raw.call('GET', '/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses');
    expect((classes.body.items as unknown[]).length).to.be.greaterThan(0);
  });

  it('csi-provisioner detects the driver, starts provisioning and capacity tracking, and serves its metrics', async () => {
    if (!sidecars) throw new Error('setup failed');
    await sidecars.waitForLog('csi-provisioner', new RegExp(`Detected CSI driver ${DRIVER}`));
    await sidecars.waitForLog('csi-provisioner', /Started provisioner controller/);
    // --enable-capacity: the owner Pod → ReplicaSet → Deployment was found (else it exits), and the controller runs.
    await sidecars.waitForLog('csi-provisioner', /Started Capacity Controller/);
    const r = await httpGet(`http://${metrics}/metrics`);
    expect(r.status).to.equal(200);
    expect(r.body).to.include('# HELP');
  });

  it('csi-resizer reads the driver name and starts the resize controller', async () => {
    if (!sidecars) throw new Error('setup failed');
    await sidecars.waitForLog('csi-resizer', new RegExp(`"CSI driver name" driverName="${DRIVER}"`));
    await sidecars.waitForLog('csi-resizer', /Starting external resizer/);
  });

  it('csi-snapshotter reads the driver name and starts the snapshot sidecar controller', async () => {
    if (!sidecars) throw new Error('setup failed');
    await sidecars.waitForLog('csi-snapshotter', new RegExp(`with snapshotter \\[${DRIVER}\\]`));
    await sidecars.waitForLog('csi-snapshotter', /Starting CSI snapshotter/);
  });

  it('snapshot-controller starts with its own ServiceAccount', async () => {
    if (!sidecars) throw new Error('setup failed');
    await sidecars.waitForLog('snapshot-controller', /Starting snapshot controller/);
  });

  it('every sidecar is still running, and all stop on SIGTERM without being killed', async () => {
    if (!sidecars) throw new Error('setup failed');
    for (const [name, p] of sidecars.processes) expect(p.exitInfo(), `${name}:\n${tailFile(p.logPath, 20)}`).to.equal(undefined);
    await sidecars.stop();
    for (const [name, p] of sidecars.processes) expect(p.exitInfo()?.signal, name).to.not.equal('SIGKILL');
  });
});
