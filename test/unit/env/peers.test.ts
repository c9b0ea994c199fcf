// Where the tests look for the CSI sidecars build-peers.sh builds, and what they say when those are missing.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CSI_SNAPSHOTTER_VERSION, cachedPeerPath, PeerMissingError, peerPath, snapshotCrdFiles } from '../../env/peers.js';

describe('peer binaries: the CSI sidecars', () => {
  let dir = '';
  const env = (): NodeJS.ProcessEnv => ({ OPEN_LOCAL_PEERS_DIR: dir });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'peers-unit-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps csi-snapshotter and snapshot-controller in the one external-snapshotter release folder', () => {
    const snap = join(dir, `external-snapshotter-${CSI_SNAPSHOTTER_VERSION}`);
    expect(cachedPeerPath('csi-snapshotter', env())).to.equal(join(snap, 'csi-snapshotter'));
    expect(cachedPeerPath('snapshot-controller', env())).to.equal(join(snap, 'snapshot-controller'));
  });

  it('says which build-peers.sh group builds a missing sidecar', () => {
    for (const name of ['csi-provisioner', 'csi-resizer', 'csi-snapshotter', 'snapshot-controller'] as const) {
      expect(() => peerPath(name, env()))
        .to.throw(PeerMissingError)
        .with.property('message')
        .that.includes('bash scripts/build-peers.sh csi-sidecars');
    }
  });

  it('lists the snapshot CRD files only once build-peers.sh marked them complete', () => {
    const crd = join(dir, `external-snapshotter-${CSI_SNAPSHOTTER_VERSION}`, 'crd');
    mkdirSync(crd, { recursive: true });
    writeFileSync(join(crd, 'snapshot.storage.k8s.io_volumesnapshots.yaml'), 'kind: CustomResourceDefinition\n');
    writeFileSync(join(crd, 'snapshot.storage.k8s.io_volumesnapshotclasses.yaml'), 'kind: CustomResourceDefinition\n');
    expect(() => snapshotCrdFiles(env())).to.throw(/bash scripts\/build-peers\.sh csi-sidecars/);
    writeFileSync(join(crd, '.complete'), '');
    expect(snapshotCrdFiles(env())).to.deep.equal([
      join(crd, 'snapshot.storage.k8s.io_volumesnapshotclasses.yaml'),
      join(crd, 'snapshot.storage.k8s.io_volumesnapshots.yaml'),
    ]);
  });
});
