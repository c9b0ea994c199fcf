import { expect } from 'chai';
import { CliError } from '../../../lib/cli-error.js';
import { parseCsiFlags } from '../../../csi-driver/options.js';

const parse = (...argv: string[]) => parseCsiFlags(argv, {});
const refusal = (argv: string[]): string => {
  try {
    parseCsiFlags(argv, {});
  } catch (err) {
    expect(err).to.be.instanceOf(CliError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
};

describe('csi-driver/options', () => {
  it('defaults to Open-Local\'s driver name, socket and kubelet dir', () => {
    const o = parse('--mode=controller');
    expect(o).to.include({ mode: 'controller', driverName: 'local.csi.aliyun.com', endpoint: 'unix:///csi/csi.sock', kubeletDir: '/var/lib/kubelet', hostExec: 'nsenter', maxVolumesPerNode: 256, operationTimeoutMs: 540_000 });
  });

  it('takes the node from $NODE_NAME when --node-id is absent', () => {
    expect(parseCsiFlags(['--mode=node'], { NODE_NAME: 'node-a' })?.nodeId).to.equal('node-a');
  });

  it('trims a trailing slash off directories', () => {
    expect(parse('--mode=node', '--node-id=n', '--kubelet-dir=/var/lib/kubelet/')?.kubeletDir).to.equal('/var/lib/kubelet');
  });

  const bad: [string, string[], RegExp][] = [
    ['an unknown mode', ['--mode=both'], /--mode: "both" is not one of controller, node, all/],
    ['node mode without a node', ['--mode=node'], /--node-id \(or \$NODE_NAME\) is required in node mode/],
    ['all mode without a node', ['--mode=all'], /required in all mode/],
    ['a TCP endpoint', ['--mode=controller', '--endpoint=tcp://0.0.0.0:10000'], /--endpoint: .*only unix sockets/],
    ['a relative socket path', ['--mode=controller', '--endpoint=unix://csi.sock'], /--endpoint/],
    ['a driver name ending in a dot', ['--mode=controller', '--driver=local.csi.'], /not a CSI driver name/],
    ['a relative kubelet dir', ['--mode=node', '--node-id=n', '--kubelet-dir=var/lib/kubelet'], /--kubelet-dir: .*absolute/],
    ['a kubelet dir with ..', ['--mode=node', '--node-id=n', '--kubelet-dir=/var/../etc'], /--kubelet-dir/],
    ['a negative volume limit', ['--mode=controller', '--max-volumes-per-node=-1'], /--max-volumes-per-node/],
    ['a zero operation timeout', ['--mode=controller', '--operation-timeout=0'], /--operation-timeout/],
    ['an unknown host-exec mode', ['--mode=controller', '--host-exec=ssh'], /--host-exec: "ssh"/],
    ['an unknown flag', ['--mode=controller', '--nodeid=n'], /Unknown option '--nodeid'/],
  ];
  for (const [what, argv, message] of bad) {
    it(`refuses ${what}`, () => {
      expect(refusal(argv)).to.match(message);
    });
  }
});
