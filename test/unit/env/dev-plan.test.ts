// The pure parts of `open-local dev up`: its command line, the examples pointed at the guests' disks, progress
// lines, condition changes and the explanation printed when Ready does not come.
import { expect } from 'chai';
import { resolveSpec } from '../../../synth/resolved-spec.js';
import { conditionChanges, notReadyExplanation, parseDevArgs, parseDevState, pointAtGuestDisks, progressLine, table } from '../../env/dev/plan.js';
import { loadExample } from '../../fixtures/examples.js';

describe('dev up: planning', () => {
  it('parses dev up and dev down, with defaults and clear errors', () => {
    expect(parseDevArgs(['up'])).to.deep.equal({ command: 'up', nodes: 2, example: undefined, readyTimeoutS: 300 });
    expect(parseDevArgs(['up', '--nodes', '3', '--example=examples/full.yaml'])).to.include({ nodes: 3, example: 'examples/full.yaml' });
    expect(parseDevArgs(['down'])).to.deep.equal({ command: 'down' });
    expect(() => parseDevArgs([])).to.throw(/missing subcommand[\s\S]*usage: open-local dev up/);
    expect(() => parseDevArgs(['up', '--nodes', '0'])).to.throw('--nodes must be a whole number from 1 to 8 (got "0")');
    expect(() => parseDevArgs(['up', '--nodes'])).to.throw('--nodes needs a value');
    expect(() => parseDevArgs(['up', '--node', '2'])).to.throw('unknown flag --node');
    expect(() => parseDevArgs(['down', 'now'])).to.throw('dev down takes no arguments');
  });

  it("points the minimal example's VG at the guest's first disk, and the result still resolves", () => {
    const pointed = pointAtGuestDisks(loadExample('minimal'));
    expect(JSON.stringify(pointed)).to.include('"devices":["/dev/ubdb"]').and.not.include('/dev/vdb');
    expect(() => resolveSpec(pointed)).to.not.throw();
  });

  it('maps each block\'s distinct devices to the guest disks in order, forceDevices and mount points with them', () => {
    const pointed = pointAtGuestDisks({
      kind: 'OpenLocalCluster',
      spec: {
        storage: {
          globalConfig: { resourceToBeInited: { vgs: [{ name: 'a', devices: ['/dev/x', '/dev/y'] }] } },
          nodesConfig: [{ resourceToBeInited: { vgs: [{ name: 'b', devices: ['/dev/p'], forceDevices: ['/dev/p'] }], mountpoints: [{ path: '/mnt/m', device: '/dev/q' }] } }],
        },
      },
    });
    expect(pointed['spec']).to.deep.equal({
      storage: {
        globalConfig: { resourceToBeInited: { vgs: [{ name: 'a', devices: ['/dev/ubdb', '/dev/ubdc'] }] } },
        nodesConfig: [{ resourceToBeInited: { vgs: [{ name: 'b', devices: ['/dev/ubdb'], forceDevices: ['/dev/ubdb'] }], mountpoints: [{ path: '/mnt/m', device: '/dev/ubdc' }] } }],
      },
    });
  });

  it('refuses a block that needs more disks than a guest has, and anything but an OpenLocalCluster', () => {
    expect(() => pointAtGuestDisks(loadExample('full'))).to.throw(/spec\.storage\.nodesConfig\[0\] initialises 4 devices .* a dev node has 2 disks/);
    expect(() => pointAtGuestDisks({ kind: 'ConfigMap' })).to.throw('the example is not an OpenLocalCluster');
  });

  it('formats progress lines with the elapsed time and the node', () => {
    expect(progressLine(12_345, 'node Ready', 'dev-node-1')).to.equal('[  12.3 s] node Ready (dev-node-1)');
    expect(progressLine(0, 'cluster network')).to.equal('[   0.0 s] cluster network');
  });

  it('reports only conditions that appeared or changed', () => {
    const a = { type: 'Ready', status: 'False', reason: 'Progressing', message: 'waiting' };
    const b = { type: 'ComponentsAvailable', status: 'True' };
    expect(conditionChanges([], [a, b])).to.deep.equal(['Ready=False Progressing: waiting', 'ComponentsAvailable=True']);
    expect(conditionChanges([a, b], [a, b])).to.deep.equal([]);
    expect(conditionChanges([a, b], [{ ...a, status: 'True', reason: 'AllReady', message: '' }, b])).to.deep.equal(['Ready=True AllReady']);
  });

  it('explains a missing Ready by the Ready condition and every condition not in its good state', () => {
    expect(notReadyExplanation([])).to.match(/has not written a Ready condition/);
    expect(notReadyExplanation([
      { type: 'Ready', status: 'False', reason: 'ComponentsUnavailable', message: 'node plugin 0/2' },
      { type: 'ComponentsAvailable', status: 'False', reason: 'DaemonSetUnavailable', message: 'open-local-node 0/2 ready' },
      { type: 'Degraded', status: 'False' },
      { type: 'Progressing', status: 'True', reason: 'Rolling' },
    ])).to.equal('Ready=False (ComponentsUnavailable): node plugin 0/2\n  ComponentsAvailable=False DaemonSetUnavailable: open-local-node 0/2 ready\n  Progressing=True Rolling');
  });

  it('prints tables as kubectl does and reads back only a state file dev up wrote', () => {
    expect(table([['NAME', 'STATUS'], ['dev-node-0', 'Ready']])).to.equal('NAME         STATUS\ndev-node-0   Ready');
    expect(parseDevState('{"pid":7,"kubeconfig":"/k","startedAt":"t"}')).to.deep.equal({ pid: 7, kubeconfig: '/k', startedAt: 't' });
    expect(() => parseDevState('{"pid":"7"}')).to.throw('not one dev up wrote');
  });
});
