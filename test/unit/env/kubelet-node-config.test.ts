// The configuration a UML kubelet node boots with (test/env/kubelet-node/config.ts) and the OCI documents of its
// registry-free images (test/env/image-archive.ts): pure functions, checked without a guest.
import { expect } from 'chai';
import {
  certKubeconfig,
  checkNodeName,
  cniConflist,
  containerdConfig,
  kubeletConfig,
  nodeNetwork,
  PAUSE_IMAGE,
} from '../../env/kubelet-node/config.js';
import { checkImageName, ociDocuments } from '../../env/image-archive.js';
import { cachedPeerPath, KUBERNETES_VERSION, PeerMissingError, peerPath } from '../../env/peers.js';

const LAYER = { digest: `sha256:${'ab'.repeat(32)}`, size: 1024 };

describe('UML kubelet node configuration', () => {
  it('gives each node its own /24, the apiserver on .1 and the guest on .2', () => {
    expect(nodeNetwork(0)).to.deep.equal({ subnet: '10.232.0', hostIp: '10.232.0.1', guestIp: '10.232.0.2' });
    expect(nodeNetwork(7).guestIp).to.equal('10.232.7.2');
    expect(() => nodeNetwork(256)).to.throw(/0\.\.255/);
    expect(() => nodeNetwork(-1)).to.throw(/0\.\.255/);
  });

  it('refuses node names the kubelet or the Node authorizer would not take', () => {
    expect(() => { checkNodeName('uml-node-0'); }).to.not.throw();
    for (const bad of ['', 'Node', 'a_b', '-a', 'a-', 'x'.repeat(64)]) {
      expect(() => { checkNodeName(bad); }, bad).to.throw(/DNS label/);
    }
  });

  it('runs containerd with cgroupfs, overlayfs, Debian CNI plugins and the local pause image as sandbox', () => {
    const toml = containerdConfig();
    expect(toml).to.include('SystemdCgroup = false');
    expect(toml).to.include('snapshotter = "overlayfs"');
    expect(toml).to.include('bin_dir = "/usr/lib/cni"');
    expect(toml).to.include(`sandbox_image = "${PAUSE_IMAGE}"`);
    // The guest's CNI config is on a tmpfs, never the host's /etc/cni/net.d.
    expect(toml).to.include('conf_dir = "/run/cni/net.d"');
    expect(toml).to.match(/io\.containerd\.internal\.v1\.opt"\]\s+path = "\/var\/lib\/containerd\/opt"/);
  });

  it('gives pods a bridge network without masquerading, and refuses a bad CIDR', () => {
    const conf = JSON.parse(cniConflist('10.88.0.0/16')) as { plugins: { type: string; ipMasq?: boolean; ipam?: unknown }[] };
    expect(conf.plugins.map((p) => p.type)).to.deep.equal(['bridge', 'loopback']);
    expect(conf.plugins[0]?.ipMasq).to.equal(false);
    expect(JSON.stringify(conf.plugins[0]?.ipam)).to.include('10.88.0.0/16');
    for (const bad of ['10.88.0.0', '10.88.0.0/33', '300.1.1.1/8', 'fd00::/64']) {
      expect(() => cniConflist(bad), bad).to.throw(/IPv4 CIDR/);
    }
  });

  it('makes the kubelet authenticate and authorize its clients through the apiserver, never anonymously', () => {
    const cfg = JSON.parse(kubeletConfig({ nodeIp: '10.232.0.2', clientCaPath: '/ca.crt', staticPodPath: '/m' })) as Record<
      string,
      unknown
    >;
    expect(cfg['authentication']).to.deep.equal({
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: '/ca.crt' },
    });
    expect(cfg['authorization']).to.deep.equal({ mode: 'Webhook' });
    expect(cfg['address']).to.equal('10.232.0.2');
    expect(cfg['cgroupDriver']).to.equal('cgroupfs');
    expect(cfg['containerRuntimeEndpoint']).to.equal('unix:///run/containerd/containerd.sock');
  });

  it('writes a client-certificate kubeconfig', () => {
    const kc = JSON.parse(
      certKubeconfig({ server: 'https://10.232.0.1:6443', caPath: '/ca', user: 'system:node:n', certPath: '/c', keyPath: '/k' }),
    ) as { users: { name: string; user: Record<string, string> }[]; clusters: { cluster: Record<string, string> }[] };
    expect(kc.users[0]).to.deep.equal({ name: 'system:node:n', user: { 'client-certificate': '/c', 'client-key': '/k' } });
    expect(kc.clusters[0]?.cluster).to.deep.equal({ server: 'https://10.232.0.1:6443', 'certificate-authority': '/ca' });
  });

  it('finds the kubelet in its own cache entry, and says how to build it', () => {
    const env = { OPEN_LOCAL_PEERS_DIR: '/nonexistent-peers' };
    expect(cachedPeerPath('kubelet', env)).to.equal(`/nonexistent-peers/kubelet-${KUBERNETES_VERSION}/bin/kubelet`);
    expect(() => peerPath('kubelet', env))
      .to.throw(PeerMissingError)
      .with.property('message')
      .that.includes('bash scripts/build-peers.sh kubelet');
  });
});

describe('registry-free OCI images', () => {
  it('names the image for containerd and links config, manifest and layer by digest', () => {
    const docs = ociDocuments({ name: 'registry.k8s.io/pause:3.10', entrypoint: ['/pause'] }, LAYER);
    const index = JSON.parse(docs.index) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    expect(index.manifests[0]?.digest).to.equal(docs.manifest.digest);
    expect(index.manifests[0]?.annotations['io.containerd.image.name']).to.equal('registry.k8s.io/pause:3.10');
    expect(index.manifests[0]?.annotations['org.opencontainers.image.ref.name']).to.equal('3.10');
    const manifest = JSON.parse(docs.manifest.data) as { config: { digest: string }; layers: { digest: string }[] };
    expect(manifest.config.digest).to.equal(docs.config.digest);
    expect(manifest.layers[0]?.digest).to.equal(LAYER.digest);
    const config = JSON.parse(docs.config.data) as { rootfs: { diff_ids: string[] }; config: { Entrypoint: string[] }; history: object[] };
    expect(config.rootfs.diff_ids).to.deep.equal([LAYER.digest]);
    expect(config.history).to.have.lengthOf(1);
    expect(config.config.Entrypoint).to.deep.equal(['/pause']);
  });

  it('gives the same digests for the same inputs and different ones for another entrypoint', () => {
    const a = ociDocuments({ name: 'example.test/a:1', entrypoint: ['/a'] }, LAYER);
    expect(ociDocuments({ name: 'example.test/a:1', entrypoint: ['/a'] }, LAYER).manifest.digest).to.equal(a.manifest.digest);
    expect(ociDocuments({ name: 'example.test/a:1', entrypoint: ['/b'] }, LAYER).manifest.digest).to.not.equal(a.manifest.digest);
  });

  it('refuses names containerd would store under another name, and bad digests', () => {
    expect(() => { checkImageName('open-local.test/busybox:1'); }).to.not.throw();
    expect(() => { checkImageName('localhost:5000/a/b:v1.2'); }).to.not.throw();
    for (const bad of ['busybox:1', 'example.test/busybox', 'example.test/Busybox:1', 'example.test/a@sha256:00']) {
      expect(() => { checkImageName(bad); }, bad).to.throw(/full reference/);
    }
    expect(() => ociDocuments({ name: 'example.test/a:1', entrypoint: [] }, { digest: 'sha256:zz', size: 1 })).to.throw(/sha256/);
  });
});
