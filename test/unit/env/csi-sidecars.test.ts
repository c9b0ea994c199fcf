// The test harness runs the real CSI sidecars with the flags synth renders: these tests pin what it changes (and
// that it changes nothing else), so an integration test of the sidecars is a test of the rendered product.
import { expect } from 'chai';
import { renderStack } from '../../../synth/render.js';
import { controllerPluginCommand, hostArgs, hostEnv, nodePluginCommand, sidecarCommands } from '../../env/csi-sidecars.js';
import { loadExample, withField } from '../../fixtures/examples.js';

const POD = { name: 'csi-controller-abc', namespace: 'open-local' };
const HOST = { socket: '/tmp/x/csi.sock', kubeconfig: '/tmp/x/kubeconfig', pod: POD };

describe('CSI sidecars on the host', () => {
  describe('hostArgs', () => {
    it('points --csi-address at the socket, adds the kubeconfig, turns leader election off and keeps the rest', () => {
      const args = hostArgs(
        ['--csi-address=/csi/csi.sock', '--timeout=10m', '--leader-election=true', '--leader-election-namespace=ns'],
        { socket: '/run/s.sock', kubeconfig: '/k', httpEndpoint: '127.0.0.1:9000' },
      );
      expect(args).to.deep.equal([
        '--csi-address=/run/s.sock',
        '--timeout=10m',
        '--kubeconfig=/k',
        '--leader-election=false',
        '--http-endpoint=127.0.0.1:9000',
        '--v=2',
      ]);
    });

    it('adds no --csi-address to a controller that has none (snapshot-controller)', () => {
      expect(hostArgs(['--leader-election=true'], { kubeconfig: '/k' })).to.deep.equal(['--kubeconfig=/k', '--leader-election=false', '--v=2']);
    });

    it('refuses rendered args with a --csi-address when no socket is given', () => {
      expect(() => hostArgs(['--csi-address=/csi/csi.sock'], { kubeconfig: '/k' })).to.throw(/need a CSI socket/);
    });
  });

  describe('hostEnv', () => {
    it("resolves the pod's name and namespace fieldRefs and keeps literal values", () => {
      const env = hostEnv(
        [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'MODE', value: 'x' },
        ],
        'c',
        POD,
      );
      expect(env).to.deep.equal({ POD_NAME: POD.name, NAMESPACE: POD.namespace, MODE: 'x' });
    });

    it('refuses a source a host process cannot resolve, naming the container and variable', () => {
      expect(() => hostEnv([{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }], 'csi-x', POD)).to.throw(
        /container csi-x: env NODE_NAME/,
      );
    });
  });

  describe('sidecarCommands', () => {
    it('runs every sidecar of the rendered CSI controller and the snapshot-controller with their rendered flags', () => {
      const capacity = withField(loadExample('minimal.yaml'), 'spec.csi.storageCapacityTracking', true);
      const cluster = withField(capacity, 'spec.csi.snapshots.deployController', true);
      const cmds = sidecarCommands(renderStack(cluster), HOST);
      expect(cmds.map((c) => c.name)).to.have.members(['csi-provisioner', 'csi-resizer', 'csi-snapshotter', 'snapshot-controller']);
      const prov = cmds.find((c) => c.name === 'csi-provisioner');
      expect(prov?.args).to.include.members(['--csi-address=/tmp/x/csi.sock', '--strict-topology=true', '--enable-capacity=true', '--kubeconfig=/tmp/x/kubeconfig']);
      expect(prov?.args.filter((a) => a.startsWith('--leader-election'))).to.deep.equal(['--leader-election=false']);
      expect(prov?.env['POD_NAME']).to.equal(POD.name);
      const snap = cmds.find((c) => c.name === 'snapshot-controller');
      expect(snap?.args.some((a) => a.startsWith('--csi-address'))).to.equal(false);
    });

    it('runs no snapshot-controller when the cluster has its own (deployController false, the default)', () => {
      expect(sidecarCommands(renderStack(loadExample('minimal.yaml')), HOST).map((c) => c.name)).to.not.include('snapshot-controller');
    });

    it('runs no snapshot sidecars when the cluster disables snapshots', () => {
      const cluster = withField(loadExample('minimal.yaml'), 'spec.csi.snapshots.enabled', false);
      expect(sidecarCommands(renderStack(cluster), HOST).map((c) => c.name)).to.have.members(['csi-provisioner', 'csi-resizer']);
    });
  });

  describe('controllerPluginCommand', () => {
    it('runs the rendered csi-plugin args with the endpoint at the socket and a kubeconfig', () => {
      const cmd = controllerPluginCommand(renderStack(loadExample('minimal.yaml')), HOST);
      expect(cmd.args).to.include.members(['csi', '--mode=controller', '--endpoint=unix:///tmp/x/csi.sock', '--kubeconfig=/tmp/x/kubeconfig']);
      expect(cmd.args.filter((a) => a.startsWith('--endpoint'))).to.have.length(1);
      expect(cmd.args.filter((a) => a.startsWith('--http-addr'))).to.deep.equal(['--http-addr=']);
      expect(cmd.env['POD_NAME']).to.equal(POD.name);
    });
  });

  describe('nodePluginCommand', () => {
    it("runs the rendered node plugin args on the pod's node, with the endpoint, kubeconfig and extra flags", () => {
      const cmd = nodePluginCommand(renderStack(loadExample('minimal.yaml')), {
        socket: '/tmp/x/node.sock',
        kubeconfig: '/tmp/x/node.kubeconfig',
        pod: { ...POD, nodeName: 'node-1' },
        extra: ['--host-exec=direct'],
      });
      expect(cmd.args).to.include.members(['csi', '--mode=node', '--node-id=node-1', '--endpoint=unix:///tmp/x/node.sock', '--host-exec=direct']);
      expect(cmd.args.filter((a) => a.startsWith('--endpoint'))).to.have.length(1);
      expect(cmd.env['NODE_NAME']).to.equal('node-1');
    });
  });
});
