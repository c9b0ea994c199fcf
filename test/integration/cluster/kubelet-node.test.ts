// A real kubelet in a UML storage node joins the test control plane: the node goes Ready, a DaemonSet pod from a
// locally imported image runs under containerd + runc, and stopping the node leaves no process, network
// namespace, tap device, mount or temp dir behind.
import { AppsV1Api, CoordinationV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_CONTROLLERS, startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { nodeNetwork, startKubeletNode, type KubeletNode } from '../../env/kubelet-node.js';
import { BUSYBOX_IMAGE, testImageDisk } from '../../env/kubelet-node/test-images.js';
import type { ImageDisk } from '../../env/image-disk.js';
import { tailFile } from '../../env/processes.js';
import { eventually } from '../support/kubelet-play.js';
import { guestAndNamespacePids, load, NODE_STATE_PATHS, processesMentioning, waitNodeReady } from './support.js';

const run = promisify(execFile);
const NODE = 'uml-node-0';



/** UML work dirs (runInUml's temp dirs) whose command names the node's temp dir. */
async function umlWorkDirsOf(nodeDir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(tmpdir())) {
    if (!entry.startsWith('open-local-uml-')) continue;
    const cmd = await readFile(join(tmpdir(), entry, 'cmd.sh'), 'utf8').catch(() => '');
    if (cmd.includes(nodeDir)) found.push(entry);
  }
  return found;
}

describe('UML kubelet node', function () {
  this.timeout(900_000);
  let cp: ControlPlane | undefined;
  let images: ImageDisk | undefined;
  let node: KubeletNode | undefined;

  let preexisting = new Set<string>();

  before(async () => {
    preexisting = new Set(NODE_STATE_PATHS.filter((p) => existsSync(p)));
    const t0 = Date.now();
    images = await testImageDisk();
    console.log(`      image disk ${images.built ? 'built' : 'cached'} in ${Date.now() - t0} ms (load ${load()})`);
    cp = await startControlPlane({
      // The node lifecycle controller takes the not-ready taint off once the kubelet reports Ready.
      withControllerManager: { controllers: [...DEFAULT_CONTROLLERS, 'node-lifecycle-controller'] },
      withScheduler: true,
      extraSANs: [nodeNetwork(0).hostIp],
      startTimeoutMs: 120_000,
    });
  });
  after(async () => {
    await node?.stop();
    await cp?.stop();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && node) {
      console.log(`--- kubelet.log (tail) ---\n${tailFile(node.kubeletLog, 40)}`);
      console.log(`--- containerd.log (tail) ---\n${tailFile(node.containerdLog, 20)}`);
    }
  });

  it('boots, registers as system:node:<name> with its guest address, and goes Ready', async () => {
    if (!cp || !images) throw new Error('setup failed');
    const t0 = Date.now();
    node = await startKubeletNode({ controlPlane: cp, name: NODE, index: 0, imageDisk: images });
    const tKubelet = Date.now() - t0;
    const core = cp.adminKubeConfig().makeApiClient(CoreV1Api);
    const n = await waitNodeReady(core, NODE);
    console.log(`      kubelet started ${tKubelet} ms, Node Ready ${Date.now() - t0} ms after guest launch (load ${load()})`);
    expect(n.status?.addresses).to.deep.include({ type: 'InternalIP', address: node.network.guestIp });
    expect(n.status?.nodeInfo?.kubeletVersion).to.match(/^v1\.\d+\.\d+$/);
    expect(n.status?.nodeInfo?.containerRuntimeVersion).to.match(/^containerd:\/\//);
    // The kubelet's lease is written by the node's own identity (the Node authorizer allows only its own).
    const leases = cp.adminKubeConfig().makeApiClient(CoordinationV1Api);
    const lease = await eventually('the node lease', () => leases.readNamespacedLease({ namespace: 'kube-node-lease', name: NODE }), 60_000);
    expect(lease.spec?.holderIdentity).to.equal(NODE);
  });

  it('runs a DaemonSet pod from a locally imported image', async () => {
    if (!cp || !node) throw new Error('the node did not start');
    const kc = cp.adminKubeConfig();
    const t0 = Date.now();
    await kc.makeApiClient(AppsV1Api).createNamespacedDaemonSet({
      namespace: 'default',
      body: {
        metadata: { name: 'idle' },
        spec: {
          selector: { matchLabels: { app: 'idle' } },
          template: {
            metadata: { labels: { app: 'idle' } },
            spec: {
              containers: [
                {
                  name: 'idle',
                  image: BUSYBOX_IMAGE,
                  imagePullPolicy: 'Never',
                  command: ['/bin/sh', '-c', 'echo started on $(cat /proc/sys/kernel/hostname); exec sleep 2147483647'],
                },
              ],
              terminationGracePeriodSeconds: 1,
            },
          },
        },
      },
    });
    const core = kc.makeApiClient(CoreV1Api);
    const pod: V1Pod = await eventually(
      'the DaemonSet pod Running',
      async () => {
        const pods = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=idle' });
        return pods.items.find((p) => p.status?.phase === 'Running');
      },
      300_000,
    );
    console.log(`      DaemonSet pod Running ${Date.now() - t0} ms after creation (load ${load()})`);
    expect(pod.spec?.nodeName).to.equal(NODE);
    expect(pod.status?.podIP).to.match(/^10\.88\./);
    expect(pod.status?.containerStatuses?.[0]?.image).to.equal(BUSYBOX_IMAGE);
  });

  it('leaves no process, netns, tap device, mount or temp dir behind when stopped', async () => {
    if (!node) throw new Error('the node did not start');
    const { dir, netns } = node;
    // Each check first sees the thing while the node runs, so it cannot pass by looking in the wrong place.
    // linux.uml names the node's copy-on-write disk (in its temp dir) on its command line.
    const { guestPids, nsPids } = await guestAndNamespacePids([dir], netns.name);
    expect(guestPids, 'linux.uml processes of the node').to.not.be.empty;
    expect(nsPids, 'the guest runs in the node\'s namespace').to.include.members(guestPids);
    expect((await run('ip', ['netns', 'exec', netns.name, 'ip', '-o', 'link', 'show', netns.tap])).stdout).to.include(netns.tap);
    expect(await readFile('/proc/self/mountinfo', 'utf8')).to.include(`/run/netns/${netns.name}`);
    expect(existsSync(dir)).to.equal(true);
    expect(await umlWorkDirsOf(dir)).to.have.lengthOf(1);

    const t0 = Date.now();
    await node.stop();
    console.log(`      node stopped in ${Date.now() - t0} ms (load ${load()})`);
    const result = await node.exited;
    expect(result instanceof Error ? result.message : result.output).to.include('stopped');
    node = undefined;

    expect(await processesMentioning(dir)).to.deep.equal([]);
    expect(guestPids.filter((pid) => existsSync(`/proc/${pid}`))).to.deep.equal([]);
    // The tap device lived only in the namespace: it went with it.
    expect((await run('ip', ['netns', 'list'])).stdout).to.not.include(netns.name);
    expect(await readFile('/proc/self/mountinfo', 'utf8')).to.not.include(netns.name);
    expect(existsSync(dir)).to.equal(false);
    expect(await umlWorkDirsOf(dir)).to.deep.equal([]);
    expect(NODE_STATE_PATHS.filter((p) => !preexisting.has(p) && existsSync(p)), 'node state on the host').to.deep.equal([]);
  });
});
