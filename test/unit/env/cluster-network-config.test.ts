// The pure parts of a test cluster's networking: each node's place in the cluster network, kube-proxy's and the
// kubelet's DNS configuration, CoreDNS's Corefile and where the kube-proxy and CoreDNS peers are cached.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { corefile, DNS_SERVICE_IP } from '../../env/cluster-dns.js';
import {
  CLUSTER_DOMAIN,
  CLUSTER_POD_CIDR,
  clusterNodeNetwork,
  cniConflist,
  kubeletConfig,
  kubeProxyConfig,
} from '../../env/kubelet-node/config.js';
import { cachedPeerPath, COREDNS_VERSION, KUBERNETES_VERSION, parseEnvFile, PeerMissingError, peerPath } from '../../env/peers.js';

describe('cluster network configuration', () => {
  it('puts every node on one /24 behind the bridge, each with its own pod CIDR inside the cluster pod CIDR', () => {
    expect(clusterNodeNetwork(0)).to.deep.equal({
      subnet: '10.232.0',
      hostIp: '10.232.0.1',
      guestIp: '10.232.0.10',
      tap: 'tap0',
      podCidr: '10.244.0.0/24',
    });
    const b = clusterNodeNetwork(1);
    expect([b.hostIp, b.guestIp, b.tap, b.podCidr]).to.deep.equal(['10.232.0.1', '10.232.0.11', 'tap1', '10.244.1.0/24']);
    expect(clusterNodeNetwork(199).guestIp).to.equal('10.232.0.209');
    expect(CLUSTER_POD_CIDR).to.equal('10.244.0.0/16');
    for (const bad of [-1, 200, 1.5]) expect(() => clusterNodeNetwork(bad), String(bad)).to.throw(/0\.\.199/);
  });

  it('keeps pod IPs between nodes (no masquerade) and lets a pod reach a Service backed by itself (hairpin)', () => {
    const conf = JSON.parse(cniConflist('10.244.1.0/24')) as { plugins: { ipMasq?: boolean; hairpinMode?: boolean }[] };
    expect(conf.plugins[0]).to.include({ ipMasq: false, hairpinMode: true });
  });

  it('runs kube-proxy in iptables mode for the node, masquerading only what comes from outside the pod CIDR', () => {
    const cfg = JSON.parse(kubeProxyConfig({ nodeName: 'a', nodeIp: '10.232.0.10', kubeconfigPath: '/k' })) as Record<string, unknown>;
    expect(cfg).to.include({ kind: 'KubeProxyConfiguration', mode: 'iptables', hostnameOverride: 'a', bindAddress: '10.232.0.10' });
    expect(cfg['clusterCIDR']).to.equal(CLUSTER_POD_CIDR);
    expect(cfg['clientConnection']).to.deep.equal({ kubeconfig: '/k' });
    expect(cfg['conntrack']).to.deep.equal({ maxPerCore: 0 });
  });

  it('gives pods the cluster DNS only when there is one', () => {
    const base = { nodeIp: '10.232.0.10', clientCaPath: '/ca', staticPodPath: '/m' };
    const without = JSON.parse(kubeletConfig(base)) as Record<string, unknown>;
    expect(without).to.not.have.property('clusterDNS');
    const withDns = JSON.parse(kubeletConfig({ ...base, clusterDns: DNS_SERVICE_IP })) as Record<string, unknown>;
    expect(withDns['clusterDNS']).to.deep.equal(['10.0.0.10']);
    expect(withDns['clusterDomain']).to.equal(CLUSTER_DOMAIN);
  });

  it('serves the cluster domain and reverse zones from the apiserver, ready on the loopback port given', () => {
    const text = corefile({ kubeconfigPath: '/dns/kubeconfig', readyPort: 18181 });
    expect(text).to.match(/^\.:53 \{/);
    expect(text).to.include('kubernetes cluster.local in-addr.arpa ip6.arpa {');
    expect(text).to.include('kubeconfig /dns/kubeconfig');
    expect(text).to.include('ready 127.0.0.1:18181');
    // No upstream resolver here: forwarding would only time out.
    expect(text).to.not.include('forward');
  });

  it('finds kube-proxy beside the other Kubernetes binaries and CoreDNS under its plugin list', () => {
    const env = { OPEN_LOCAL_PEERS_DIR: '/nonexistent-peers' };
    expect(cachedPeerPath('kube-proxy', env)).to.equal(`/nonexistent-peers/kubernetes-${KUBERNETES_VERSION}/bin/kube-proxy`);
    const versions = parseEnvFile(readFileSync(new URL('../../../scripts/peers/versions.env', import.meta.url), 'utf8'));
    // build-peers.sh: echo "$COREDNS_PLUGINS" | sha256sum | cut -c1-12
    const key = createHash('sha256').update(`${versions.get('COREDNS_PLUGINS') ?? ''}\n`).digest('hex').slice(0, 12);
    expect(cachedPeerPath('coredns', env)).to.equal(`/nonexistent-peers/coredns-${COREDNS_VERSION}-${key}/coredns`);
    expect(() => peerPath('coredns', env)).to.throw(PeerMissingError).with.property('message').that.includes('build-peers.sh coredns');
    expect(() => peerPath('kube-proxy', env)).to.throw(PeerMissingError).with.property('message').that.includes('build-peers.sh kube');
  });
});
