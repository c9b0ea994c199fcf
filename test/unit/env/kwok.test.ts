// kwok's inputs: kubelet-shaped Nodes (size and fields of a real registration) and our Stage files (they parse,
// they name what synth renders for prepare-VG pods, the heartbeat interval can be shortened for a test).
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { INIT_CONFIG_ENV, CONFIG_HASH_ANNOTATION } from '../../../synth/stack/prepare-vg-job.js';
import { names } from '../../../synth/names.js';
import { kwokConfiguration, kwokNodeName, kwokStages, stageFiles } from '../../env/kwok.js';
import { kubeletNode, nodeIP } from '../../env/kwok/kubelet-node.js';
import { KWOK_VERSION, cachedPeerPath, PeerMissingError, peerPath } from '../../env/peers.js';

type Stage = { metadata: { name: string }; spec: { delay?: { durationMilliseconds: number; jitterDurationMilliseconds: number }; selector: { matchExpressions: { key: string; values?: string[] }[] }; next: { statusTemplate?: string } } };
const parseStages = (text: string): Stage[] => parseAllDocuments(text).map((d) => d.toJS() as Stage);

describe('kwok: kubelet-shaped Nodes', () => {
  it('is as big as a kubelet-registered Node before kwok adds conditions and the API server managedFields (~13 of ~16 KiB)', () => {
    const bytes = Buffer.byteLength(JSON.stringify(kubeletNode('node-01234', 1234)));
    expect(bytes).to.be.within(12_500, 15_000);
  });

  it('carries what a kubelet registers: labels, capacity and allocatable, addresses, kubelet endpoint, nodeInfo, images', () => {
    const n = kubeletNode('node-00007', 7, { labels: { 'example.com/rack': 'r1' } });
    expect(n.metadata.labels).to.include({ 'kubernetes.io/hostname': 'node-00007', 'kubernetes.io/os': 'linux', 'example.com/rack': 'r1' });
    expect(n.status.capacity).to.have.keys('cpu', 'ephemeral-storage', 'hugepages-1Gi', 'hugepages-2Mi', 'memory', 'pods');
    expect(n.status.allocatable).to.have.keys(Object.keys(n.status.capacity));
    expect(n.status.addresses).to.deep.equal([{ type: 'InternalIP', address: nodeIP(7) }, { type: 'Hostname', address: 'node-00007' }]);
    expect(n.status.nodeInfo.bootID).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(n.status.nodeInfo.kubeletVersion).to.equal('v1.34.4');
    expect(n.status.images).to.have.length(50); // the kubelet's nodeStatusMaxImages
    expect(n.status.images[0]?.names[0]).to.match(/@sha256:[0-9a-f]{64}$/);
  });

  it('is deterministic, and different per node (boot IDs, addresses, pod CIDRs)', () => {
    expect(kubeletNode('node-00001', 1)).to.deep.equal(kubeletNode('node-00001', 1));
    const a = kubeletNode('node-00001', 1);
    const b = kubeletNode('node-00002', 2);
    expect(a.status.nodeInfo.bootID).to.not.equal(b.status.nodeInfo.bootID);
    expect(a.status.addresses[0]?.address).to.not.equal(b.status.addresses[0]?.address);
    expect(a.spec.podCIDR).to.not.equal(b.spec.podCIDR);
  });

  it('gives 5,000 nodes distinct, valid InternalIPs and names that sort in creation order', () => {
    const ips = new Set(Array.from({ length: 5000 }, (_, i) => nodeIP(i)));
    expect(ips.size).to.equal(5000);
    for (const ip of ips) expect(ip).to.match(/^10\.1\.\d{1,2}\.([1-9]\d{0,2})$/);
    expect([kwokNodeName(10), kwokNodeName(9), kwokNodeName(4999)].sort()).to.deep.equal(['node-00009', 'node-00010', 'node-04999']);
  });
});

describe('kwok: our Stages', () => {
  const stages = parseStages(kwokStages(stageFiles()));
  const stage = (name: string): Stage => {
    const s = stages.find((x) => x.metadata.name === name);
    if (!s) throw new Error(`no Stage ${name}`);
    return s;
  };

  it('has the node and pod lifecycle of a kubelet, and the prepare-VG result', () => {
    expect(stages.map((s) => s.metadata.name).sort()).to.deep.equal(['node-heartbeat', 'node-initialize', 'pod-complete', 'pod-delete', 'pod-ready', 'prepare-vg-complete']);
  });

  it('re-reports Node status as often as a kubelet (5 min), or as often as a test asks', () => {
    expect(stage('node-heartbeat').spec.delay?.durationMilliseconds).to.equal(300_000);
    const fast = parseStages(kwokStages(stageFiles(), { nodeStatusReportMs: 2000 })).find((s) => s.metadata.name === 'node-heartbeat');
    expect(fast?.spec.delay).to.deep.equal({ durationMilliseconds: 2000, jitterDurationMilliseconds: 2000 });
  });

  it('finishes prepare-VG pods by the names synth renders: component label, config-hash annotation, config env', () => {
    const prepare = stage('prepare-vg-complete');
    expect(prepare.spec.selector.matchExpressions.find((e) => e.key.includes('app.kubernetes.io/component'))?.values).to.deep.equal([names.prepareVg]);
    expect(prepare.spec.next.statusTemplate).to.include(`"${CONFIG_HASH_ANNOTATION}"`).and.include(`"${INIT_CONFIG_ENV}"`).and.include('.spec.nodeName');
    // The generic Job pod completion leaves prepare-VG pods to it.
    expect(stage('pod-complete').spec.selector.matchExpressions.find((e) => e.key.includes('app.kubernetes.io/component'))?.values).to.deep.equal([names.prepareVg]);
  });

  it('refuses a stage file that is not a named Stage, or two Stages of one name', () => {
    expect(() => kwokStages([{ name: 'x.yaml', text: 'kind: ConfigMap\nmetadata: {name: x}\n' }])).to.throw(/not a named Stage/);
    const one = 'kind: Stage\nmetadata: {name: a}\nspec: {}\n';
    expect(() => kwokStages([{ name: 'a.yaml', text: one }, { name: 'b.yaml', text: one }])).to.throw(/two kwok Stages are named a/);
  });
});

describe('kwok: its configuration', () => {
  it('plays 32 Stages and renews 16 Leases at once by default, and sets every option kwok would default (it defaults none of a given document)', () => {
    const conf = parse(kwokConfiguration()) as { apiVersion: string; kind: string; options: Record<string, unknown> };
    expect(conf.apiVersion).to.equal('config.kwok.x-k8s.io/v1alpha1');
    expect(conf.kind).to.equal('KwokConfiguration');
    expect(conf.options).to.include({ podPlayStageParallelism: 32, nodePlayStageParallelism: 32, nodeLeaseParallelism: 16, podsOnNodeSyncParallelism: 1 });
    expect((parse(kwokConfiguration({ playParallelism: 4 })) as typeof conf).options['podPlayStageParallelism']).to.equal(4);
    expect((parse(kwokConfiguration({ leaseParallelism: 4 })) as typeof conf).options['nodeLeaseParallelism']).to.equal(4);
  });

  it('refuses a parallelism that is not a whole number ≥ 1', () => {
    for (const bad of [0, -1, 2.5, Number.NaN]) {
      expect(() => kwokConfiguration({ playParallelism: bad }), String(bad)).to.throw(/play parallelism must be a whole number ≥ 1/);
      expect(() => kwokConfiguration({ leaseParallelism: bad }), String(bad)).to.throw(/lease parallelism must be a whole number ≥ 1/);
    }
  });
});

describe('kwok: the peer binary', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'peers-unit-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is cached by version and says how to build it when missing', () => {
    const env = { OPEN_LOCAL_PEERS_DIR: dir };
    expect(cachedPeerPath('kwok', env)).to.equal(join(dir, `kwok-${KWOK_VERSION}`, 'kwok'));
    expect(() => peerPath('kwok', env)).to.throw(PeerMissingError).with.property('message').that.includes('bash scripts/build-peers.sh kwok');
  });
});
