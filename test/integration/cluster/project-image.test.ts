// The first pod of ours under a real kubelet: the project image, built here from the Dockerfile (no registry) and
// imported with the CSI sidecar images into the nodes' image disk, runs on a UML kubelet node under the name synth
// renders, and its container log is what the binary prints.
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { clusterImageDisk, type ClusterImages } from '../../env/cluster-images.js';
import { DEFAULT_CONTROLLERS, startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import { nodeNetwork, startKubeletNode, type KubeletNode } from '../../env/kubelet-node.js';
import { tailFile } from '../../env/processes.js';
import { SIDECAR_IMAGES, sidecarImageSpec } from '../../env/sidecar-images.js';
import { eventually } from '../support/kubelet-play.js';
import { load, waitNodeReady } from './support.js';

const run = promisify(execFile);
const NODE = 'uml-image-node-0';
const REPO = new URL('../../../', import.meta.url).pathname;

/** The stdout lines of a container log in the CRI format (`<time> stdout F <line>`). */
function criStdout(log: string): string {
  return log
    .split('\n')
    .map((l) => /^\S+ stdout [FP] (.*)$/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined)
    .join('\n');
}

describe('the project image under a real kubelet', function () {
  this.timeout(1_800_000);
  let cp: ControlPlane | undefined;
  let images: ClusterImages | undefined;
  let node: KubeletNode | undefined;

  before(async () => {
    const t0 = Date.now();
    images = await clusterImageDisk((line) => {
      console.log(`      ${((Date.now() - t0) / 1000).toFixed(0)} s ${line}`);
    });
    console.log(`      image disk ${images.built ? 'built' : 'cached'} in ${Date.now() - t0} ms (load ${load()})`);
    cp = await startControlPlane({
      withControllerManager: { controllers: [...DEFAULT_CONTROLLERS, 'node-lifecycle-controller'] },
      withScheduler: true,
      extraSANs: [nodeNetwork(1).hostIp],
      startTimeoutMs: 120_000,
    });
    const t1 = Date.now();
    node = await startKubeletNode({ controlPlane: cp, name: NODE, index: 1, imageDisk: images });
    const core = cp.adminKubeConfig().makeApiClient(CoreV1Api);
    await waitNodeReady(core, NODE);
    console.log(`      node Ready ${Date.now() - t1} ms after guest launch (load ${load()})`);
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

  it('has the project image and every sidecar image under the names synth renders', () => {
    if (!images) throw new Error('setup failed');
    expect(images.images).to.include(images.projectImage);
    for (const s of SIDECAR_IMAGES) expect(images.images).to.include(sidecarImageSpec(s).name);
  });

  it('runs `open-local version` from the project image to Succeeded, and logs what the binary prints', async () => {
    if (!cp || !node || !images) throw new Error('setup failed');
    const core = cp.adminKubeConfig().makeApiClient(CoreV1Api);
    const t0 = Date.now();
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'open-local-version' },
        spec: {
          nodeName: NODE,
          restartPolicy: 'Never',
          // The image's own entrypoint (node dist/bin/open-local.js), as the rendered pods run it.
          containers: [{ name: 'open-local', image: images.projectImage, imagePullPolicy: 'IfNotPresent', args: ['version'] }],
        },
      },
    });
    const pod: V1Pod = await eventually(
      'the pod Succeeded',
      async () => {
        const p = await core.readNamespacedPod({ namespace: 'default', name: 'open-local-version' });
        if (p.status?.phase === 'Failed') throw new Error(`the pod failed: ${JSON.stringify(p.status.containerStatuses)}`);
        return p.status?.phase === 'Succeeded' ? p : undefined;
      },
      300_000,
    );
    console.log(`      pod Succeeded ${Date.now() - t0} ms after creation (load ${load()})`);
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).to.equal(0);
    const uid = pod.metadata?.uid ?? '';
    const dir = join(node.podLogDir, `default_open-local-version_${uid}`, 'open-local');
    const logged = criStdout(await readFile(join(dir, (await readdir(dir))[0] ?? '0.log'), 'utf8'));
    const expected = (await run(process.execPath, ['--import', 'tsx', join(REPO, 'bin', 'open-local.ts'), 'version'], { cwd: REPO })).stdout.trim();
    expect(expected).to.not.equal('');
    expect(logged).to.equal(expected);
  });
});
