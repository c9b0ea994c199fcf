// The CSI controller Deployment and node DaemonSet run `open-local csi` with exactly the decided command line
// (csi-driver/cli.ts), its sockets, state, cgroup and probes.
import type { V1Container } from '@kubernetes/client-node';
import { expect } from 'chai';
import { parseCsiFlags } from '../../../csi-driver/options.js';
import { renderStack, type KubeObject } from '../../../synth/render.js';
import { loadExample, withField } from '../../fixtures/examples.js';
import { containers, one } from './objects.js';

const full = loadExample('full');
const minimal = loadExample('minimal');

function container(objects: readonly KubeObject[], workload: string, name: string): V1Container {
  const found = containers(objects).find((c) => c.workload.name === workload && c.container.name === name);
  if (!found) throw new Error(`no container ${name} in ${workload}`);
  return found.container;
}

/** `--flag=value` arguments as a map (every flag of `open-local csi` takes a value). */
function flags(c: V1Container): Record<string, string> {
  const [command, ...rest] = c.args ?? [];
  expect(command, c.name).to.equal('csi');
  const out: Record<string, string> = {};
  for (const arg of rest) {
    const m = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (!m?.[1] || m[2] === undefined) throw new Error(`${c.name}: argument ${arg} is not --flag=value`);
    if (m[1] in out) throw new Error(`${c.name}: --${m[1]} given twice`);
    out[m[1]] = m[2];
  }
  return out;
}

describe('synth: CSI workloads', () => {
  const objects = renderStack(full);
  const controllerPlugin = container(objects, 'open-local-csi-controller', 'csi-plugin');
  const nodePlugin = container(objects, 'open-local-node', 'csi-plugin');
  const nodePod = one(objects, 'DaemonSet', 'open-local-node').spec?.template.spec;

  it('runs the controller plugin with exactly --mode, --endpoint, --driver, --http-addr, the extender\'s --strategy and --log-level', () => {
    expect(flags(controllerPlugin)).to.deep.equal({
      mode: 'controller',
      endpoint: 'unix:///csi/csi.sock',
      driver: 'local.csi.aliyun.com',
      'http-addr': ':8081',
      strategy: 'binpack',
      'log-level': 'info',
    });
  });

  it('runs the node plugin with the node flags: node id, kubelet dir, limits, state dir, nsenter, cgroup root', () => {
    expect(flags(nodePlugin)).to.deep.equal({
      mode: 'node',
      endpoint: 'unix:///csi/csi.sock',
      driver: 'local.csi.aliyun.com',
      'node-id': '$(NODE_NAME)',
      'kubelet-dir': '/var/lib/kubelet',
      'max-volumes-per-node': '256',
      'state-dir': '/var/lib/open-local/csi',
      'host-exec': 'nsenter',
      'cgroup-root': '/sys/fs/cgroup',
      'http-addr': ':8081',
      'log-level': 'info',
    });
    expect(nodePlugin.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath).to.equal('spec.nodeName');
  });

  it("is accepted by the driver's own flag parser (the kubelet expands $(NODE_NAME) from the env)", () => {
    const argv = (c: V1Container) => (c.args ?? []).slice(1).map((a) => a.replace('$(NODE_NAME)', 'worker-1'));
    expect(parseCsiFlags(argv(controllerPlugin), {})).to.include({ mode: 'controller', endpoint: 'unix:///csi/csi.sock', httpAddress: ':8081' });
    expect(parseCsiFlags(argv(nodePlugin), {})).to.include({ mode: 'node', nodeId: 'worker-1', hostExec: 'nsenter', stateDir: '/var/lib/open-local/csi', cgroupRoot: '/sys/fs/cgroup', maxVolumesPerNode: 256 });
  });

  it('follows spec.csi.maxVolumesPerNode, spec.csi.kubeletDir and spec.logLevel', () => {
    const custom = renderStack(withField(withField(withField(full, 'spec.csi.maxVolumesPerNode', 7), 'spec.csi.kubeletDir', '/data/kubelet'), 'spec.logLevel', 'debug'));
    expect(flags(container(custom, 'open-local-node', 'csi-plugin'))).to.include({ 'max-volumes-per-node': '7', 'kubelet-dir': '/data/kubelet', 'log-level': 'debug' });
    expect(flags(container(custom, 'open-local-csi-controller', 'csi-plugin'))).to.include({ 'log-level': 'debug' });
  });

  it('gives nsenter the host PID namespace', () => {
    expect(nodePod?.hostPID).to.equal(true);
    expect(nodePlugin.securityContext?.privileged).to.equal(true);
  });

  it("mounts the host's state dir and cgroup hierarchy read-write at the paths the flags name", () => {
    for (const path of ['/var/lib/open-local/csi', '/sys/fs/cgroup']) {
      const mount = nodePlugin.volumeMounts?.find((m) => m.mountPath === path);
      expect(mount, path).to.exist;
      expect(mount?.readOnly, path).to.not.equal(true);
      expect(nodePod?.volumes?.find((v) => v.name === mount?.name)?.hostPath?.path, path).to.equal(path);
    }
  });

  it('shares the socket directory between the plugin and its sidecars, the registrar pointing the kubelet at it', () => {
    const socketMount = (c: V1Container) => c.volumeMounts?.find((m) => m.mountPath === '/csi')?.name;
    for (const name of ['csi-provisioner', 'csi-resizer', 'csi-snapshotter', 'liveness-probe']) {
      const sidecar = container(objects, 'open-local-csi-controller', name);
      expect(sidecar.args, name).to.include('--csi-address=/csi/csi.sock');
      expect(socketMount(sidecar), name).to.equal(socketMount(controllerPlugin));
    }
    for (const name of ['node-driver-registrar', 'liveness-probe']) {
      const sidecar = container(objects, 'open-local-node', name);
      expect(sidecar.args, name).to.include('--csi-address=/csi/csi.sock');
      expect(socketMount(sidecar), name).to.equal(socketMount(nodePlugin));
    }
    const pluginDir = nodePod?.volumes?.find((v) => v.name === socketMount(nodePlugin))?.hostPath?.path;
    expect(container(objects, 'open-local-node', 'node-driver-registrar').args).to.include(`--kubelet-registration-path=${pluginDir ?? ''}/csi.sock`);
  });

  it("probes each plugin's liveness and readiness on its own HTTP port, and keeps the livenessprobe sidecar on 9808", () => {
    for (const [workload, plugin] of [['open-local-csi-controller', controllerPlugin], ['open-local-node', nodePlugin]] as const) {
      const port = plugin.ports?.find((p) => p.containerPort === 8081)?.name;
      expect(port, workload).to.be.a('string');
      expect(plugin.livenessProbe?.httpGet, workload).to.deep.include({ path: '/healthz', port });
      expect(plugin.readinessProbe?.httpGet, workload).to.deep.include({ path: '/readyz', port });
      const liveness = container(objects, workload, 'liveness-probe');
      expect(liveness.args, workload).to.include('--health-port=9808');
      expect(liveness.ports?.map((p) => p.containerPort), workload).to.deep.equal([9808]);
    }
  });

  it('gives every container of the node pod its own port (one network namespace per pod)', () => {
    const ports = (nodePod?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.containerPort));
    expect(new Set(ports).size).to.equal(ports.length);
    const portNames = (nodePod?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.name));
    expect(new Set(portNames).size).to.equal(portNames.length);
  });

  it('wires GetCapacity to the provisioner only with storageCapacityTracking (CSIDriver storageCapacity alike)', () => {
    const provisioner = (o: readonly KubeObject[]) => container(o, 'open-local-csi-controller', 'csi-provisioner').args ?? [];
    expect(provisioner(objects)).to.include('--enable-capacity=true');
    expect(one(objects, 'CSIDriver', 'local.csi.aliyun.com').spec.storageCapacity).to.equal(true);
    const off = renderStack(minimal);
    expect(provisioner(off).filter((a) => a.startsWith('--enable-capacity') || a.startsWith('--capacity-'))).to.deep.equal([]);
    expect(one(off, 'CSIDriver', 'local.csi.aliyun.com').spec.storageCapacity).to.equal(false);
  });
});
