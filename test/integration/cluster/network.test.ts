// Cluster networking as a real cluster has it, on two real nodes (UML guests with kubelet, containerd, runc, the
// CNI bridge and kube-proxy) in one cluster network: a pod on node A reaches a pod on node B by its IP, a Service
// backed by the pod on B by its ClusterIP and by its DNS name (CoreDNS), `https://kubernetes.default.svc` answers
// from a pod, the apiserver reaches both kubelets (pod logs and exec, the paths `kubectl logs/exec` take), and
// tearing it all down leaves no process, namespace, tap device, mount or temp dir behind.
import { CoreV1Api, DiscoveryV1Api, Exec, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { startClusterDns, DNS_SERVICE_IP, type ClusterDns } from '../../env/cluster-dns.js';
import { createClusterNetwork, type ClusterNetwork } from '../../env/cluster-network.js';
import { DEFAULT_CONTROLLERS, startControlPlane, type ControlPlane } from '../../env/control-plane.js';
import type { ImageDisk } from '../../env/image-disk.js';
import { startKubeletNode, type KubeletNode } from '../../env/kubelet-node.js';
import { CLUSTER_DOMAIN } from '../../env/kubelet-node/config.js';
import { BUSYBOX_IMAGE, testImageDisk } from '../../env/kubelet-node/test-images.js';
import { tailFile } from '../../env/processes.js';
import { eventually } from '../support/kubelet-play.js';
import { guestAndNamespacePids, load, NODE_STATE_PATHS, processesMentioning, waitNodeReady } from './support.js';

const run = promisify(execFile);
const NODES = ['uml-net-a', 'uml-net-b'] as const;
const NS = 'default';



function collector(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { stream, text: () => text };
}

/** Runs `command` in the pod's container through the apiserver and the node's kubelet (what `kubectl exec` does). */
async function execIn(kc: KubeConfig, pod: string, command: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const out = collector();
  const err = collector();
  const status = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`exec in ${pod} got no status in 60 s`)); }, 60_000);
    new Exec(kc)
      .exec(NS, pod, 'main', command, out.stream, err.stream, null, false, (s) => {
        clearTimeout(timer);
        resolve(s.status ?? 'unknown');
      })
      .catch((e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      });
  });
  // The status arrives on its own channel; let the last output frames land.
  await new Promise((r) => setTimeout(r, 100));
  return { ok: status === 'Success', stdout: out.text(), stderr: err.text() };
}

/**
 * `wget -q -O - url` in the pod, retried until it answers (routes and iptables rules settle in seconds). Bounded by
 * busybox's timeout applet: Debian's static busybox 1.35 segfaults in wget's own -T.
 */
async function fetchFrom(kc: KubeConfig, pod: string, url: string, extra: string[] = [], timeoutMs = 120_000): Promise<string> {
  let last = '';
  return eventually(
    `${url} from pod ${pod} (last: ${last})`,
    async () => {
      const r = await execIn(kc, pod, ['busybox', 'timeout', '10', 'busybox', 'wget', '-q', '-O', '-', ...extra, url]);
      last = r.stderr.trim();
      return r.ok ? r.stdout : undefined;
    },
    timeoutMs,
  );
}

function busyboxPod(name: string, node: string, labels: Record<string, string>, script: string): V1Pod {
  return {
    metadata: { name, labels },
    spec: {
      nodeName: node,
      containers: [{ name: 'main', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command: ['/bin/sh', '-c', script] }],
      terminationGracePeriodSeconds: 1,
    },
  };
}

describe('cluster network on two UML kubelet nodes', function () {
  this.timeout(1_200_000);
  let images: ImageDisk | undefined;
  let network: ClusterNetwork | undefined;
  let cp: ControlPlane | undefined;
  let dns: ClusterDns | undefined;
  const nodes: KubeletNode[] = [];
  let preexisting = new Set<string>();
  let web: V1Pod | undefined;
  let client: V1Pod | undefined;

  before(async () => {
    preexisting = new Set(NODE_STATE_PATHS.filter((p) => existsSync(p)));
    const t0 = Date.now();
    images = await testImageDisk();
    network = await createClusterNetwork();
    cp = await startControlPlane({
      network: { netns: network.netns, address: network.gatewayIp },
      // The node lifecycle controller lifts the not-ready taint; the EndpointSlice controller feeds kube-proxy.
      withControllerManager: { controllers: [...DEFAULT_CONTROLLERS, 'node-lifecycle-controller', 'endpointslice-controller'] },
      withScheduler: true,
      startTimeoutMs: 120_000,
    });
    const tCp = Date.now();
    dns = await startClusterDns({ controlPlane: cp, network, startTimeoutMs: 120_000 });
    console.log(`      control plane ${tCp - t0} ms, CoreDNS ready ${Date.now() - tCp} ms after it (load ${load()})`);
    const controlPlane = cp;
    const net = network;
    const clusterDns = dns.serviceIp;
    const tNodes = Date.now();
    const started = await Promise.allSettled(
      NODES.map((name, index) => startKubeletNode({ controlPlane, name, index, imageDisk: images!, network: net, clusterDns })),
    );
    for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const core = cp.adminKubeConfig().makeApiClient(CoreV1Api);
    await Promise.all(
      NODES.map((name) =>
        waitNodeReady(core, name),
      ),
    );
    console.log(`      2 nodes Ready ${Date.now() - tNodes} ms after launch (load ${load()})`);
  });

  after(async () => {
    for (const n of nodes) await n.stop();
    await dns?.stop();
    await cp?.stop();
    await network?.destroy();
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    for (const n of nodes) {
      console.log(`--- ${n.name} kubelet.log (tail) ---\n${tailFile(n.kubeletLog, 30)}`);
      if (n.kubeProxyLog) console.log(`--- ${n.name} kube-proxy.log (tail) ---\n${tailFile(n.kubeProxyLog, 30)}`);
    }
    if (dns) console.log(`--- coredns.log (tail) ---\n${tailFile(dns.logPath, 20)}`);
  });

  it('puts both nodes on one network, each with its InternalIP and its own pod CIDR', async () => {
    if (!cp || !network) throw new Error('setup failed');
    const core = cp.adminKubeConfig().makeApiClient(CoreV1Api);
    expect(nodes.map((n) => n.network.guestIp)).to.deep.equal(['10.232.0.10', '10.232.0.11']);
    expect(nodes.map((n) => n.podCidr)).to.deep.equal(['10.244.0.0/24', '10.244.1.0/24']);
    for (const n of nodes) {
      const got = await core.readNode({ name: n.name });
      expect(got.status?.addresses).to.deep.include({ type: 'InternalIP', address: n.network.guestIp });
      expect(n.netns.name).to.equal(network.netns.name);
    }
  });

  it('lets a pod on node A reach a pod on node B by its pod IP', async () => {
    if (!cp) throw new Error('setup failed');
    const kc = cp.adminKubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const t0 = Date.now();
    await core.createNamespacedPod({
      namespace: NS,
      body: busyboxPod('web', NODES[1], { app: 'web' },
        'mkdir -p /tmp/www && echo "hello from $(hostname)" > /tmp/www/index.html && echo serving on 8080 && exec busybox httpd -f -p 8080 -h /tmp/www'),
    });
    await core.createNamespacedPod({
      namespace: NS,
      body: busyboxPod('client', NODES[0], { app: 'client' }, 'echo client up; exec sleep 2147483647'),
    });
    const running = (name: string): Promise<V1Pod> =>
      eventually(`pod ${name} Running`, async () => {
        const p = await core.readNamespacedPod({ namespace: NS, name });
        return p.status?.phase === 'Running' && p.status.podIP ? p : undefined;
      }, 300_000);
    [web, client] = await Promise.all([running('web'), running('client')]);
    console.log(`      both pods Running ${Date.now() - t0} ms after creation (load ${load()})`);
    expect(web.status?.podIP).to.match(/^10\.244\.1\./);
    expect(client.status?.podIP).to.match(/^10\.244\.0\./);
    const body = await fetchFrom(kc, 'client', `http://${web.status?.podIP ?? ''}:8080/`);
    expect(body.trim()).to.equal('hello from web');
  });

  it('routes a Service backed by the pod on B by its ClusterIP and by its DNS name', async () => {
    if (!cp || !web) throw new Error('the pods did not start');
    const kc = cp.adminKubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const svc = await core.createNamespacedService({
      namespace: NS,
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    });
    const clusterIp = svc.spec?.clusterIP ?? '';
    const webIp = web.status?.podIP ?? '';
    expect(clusterIp).to.match(/^10\.0\.0\./);
    await eventually('the web Service endpoint ready', async () => {
      const slices = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({
        namespace: NS,
        labelSelector: 'kubernetes.io/service-name=web',
      });
      return slices.items.some((s) => s.endpoints.some((e) => e.conditions?.ready && e.addresses.includes(webIp)))
        ? true
        : undefined;
    }, 60_000);
    const t0 = Date.now();
    expect((await fetchFrom(kc, 'client', `http://${clusterIp}/`)).trim()).to.equal('hello from web');
    console.log(`      ClusterIP answered ${Date.now() - t0} ms after the endpoint was ready`);
    // The kubelet wrote the cluster DNS into the pod's resolv.conf; the name resolves through kube-proxy to CoreDNS.
    const resolv = await execIn(kc, 'client', ['cat', '/etc/resolv.conf']);
    expect(resolv.stdout).to.include(`nameserver ${DNS_SERVICE_IP}`).and.include(`search default.svc.${CLUSTER_DOMAIN}`);
    const byName = await fetchFrom(kc, 'client', `http://web.${NS}.svc.${CLUSTER_DOMAIN}/`);
    expect(byName.trim()).to.equal('hello from web');
    const lookup = await execIn(kc, 'client', ['busybox', 'nslookup', `web.${NS}.svc.${CLUSTER_DOMAIN}`]);
    expect(lookup.stdout).to.include(clusterIp);
  });

  it('answers https://kubernetes.default.svc from a pod with its ServiceAccount token', async () => {
    if (!cp || !client) throw new Error('the pods did not start');
    const kc = cp.adminKubeConfig();
    // busybox wget cannot take a CA file: the TLS peer is checked by what it answers (this cluster's version).
    const token = (await execIn(kc, 'client', ['cat', '/var/run/secrets/kubernetes.io/serviceaccount/token'])).stdout.trim();
    expect(token, 'the pod has a ServiceAccount token').to.match(/^ey/);
    const body = await fetchFrom(kc, 'client', 'https://kubernetes.default.svc/version', [
      '--no-check-certificate',
      '--header',
      `Authorization: Bearer ${token}`,
    ]);
    expect((JSON.parse(body) as { gitVersion?: string }).gitVersion).to.match(/^v1\.34\./);
  });

  it('serves pod logs and exec on both nodes through the apiserver (the paths of kubectl logs and exec)', async () => {
    if (!cp || !web || !client) throw new Error('the pods did not start');
    const kc = cp.adminKubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    expect(await core.readNamespacedPodLog({ namespace: NS, name: 'web', container: 'main' })).to.include('serving on 8080');
    expect(await core.readNamespacedPodLog({ namespace: NS, name: 'client', container: 'main' })).to.include('client up');
    // client runs on node A, web on node B (pinned by nodeName; their IPs are in A's and B's pod CIDRs).
    for (const pod of ['client', 'web']) {
      const r = await execIn(kc, pod, ['sh', '-c', 'echo $((6 * 7)) in $(cat /proc/sys/kernel/hostname)']);
      expect(r.ok, `exec in ${pod}: ${r.stderr}`).to.equal(true);
      expect(r.stdout.trim()).to.equal(`42 in ${pod}`);
    }
    const failing = await execIn(kc, 'web', ['sh', '-c', 'exit 3']);
    expect(failing.ok, 'a failing command is reported as failed').to.equal(false);
  });

  it('leaves no process, namespace, tap device, mount or temp dir behind', async () => {
    if (!cp || !network || !dns || nodes.length !== 2) throw new Error('setup failed');
    const ns = network.netns.name;
    const dirs = [...nodes.map((n) => n.dir), cp.dir];
    // Each check first sees the thing while the cluster runs, so it cannot pass by looking in the wrong place.
    const { guestPids, nsPids } = await guestAndNamespacePids(nodes.map((n) => n.dir), ns);
    expect(guestPids, 'linux.uml processes of the nodes').to.not.be.empty;
    expect(nsPids, 'the guests, the apiserver and CoreDNS run in the namespace').to.include.members(guestPids);
    expect(nsPids.length).to.be.greaterThan(guestPids.length);
    const links = (await run('ip', ['netns', 'exec', ns, 'ip', '-o', 'link'])).stdout;
    for (const n of nodes) expect(links).to.include(`${n.tap}:`);
    expect(await readFile('/proc/self/mountinfo', 'utf8')).to.include(`/run/netns/${ns}`);
    for (const d of [...dirs, dns.logPath]) expect(existsSync(d), d).to.equal(true);

    const t0 = Date.now();
    for (const n of nodes.splice(0)) await n.stop();
    await dns.stop();
    await cp.stop();
    await network.destroy();
    console.log(`      cluster torn down in ${Date.now() - t0} ms (load ${load()})`);

    expect(nsPids.filter((pid) => existsSync(`/proc/${pid}`)), 'processes of the namespace').to.deep.equal([]);
    expect(await processesMentioning(ns)).to.deep.equal([]);
    for (const d of dirs) expect(await processesMentioning(d)).to.deep.equal([]);
    // The taps and the bridge lived only in the namespace: they went with it.
    expect((await run('ip', ['netns', 'list'])).stdout).to.not.include(ns);
    expect(await readFile('/proc/self/mountinfo', 'utf8')).to.not.include(ns);
    for (const d of [...dirs, dns.logPath]) expect(existsSync(d), d).to.equal(false);
    expect(NODE_STATE_PATHS.filter((p) => !preexisting.has(p) && existsSync(p)), 'node state on the host').to.deep.equal([]);
  });
});
