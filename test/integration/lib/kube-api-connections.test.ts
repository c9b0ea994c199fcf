// KubeApi against a real API server: requests share keep-alive connections (client-node's applyToHTTPSOptions would
// give each request its own Agent, hence its own TCP connection and TLS handshake).
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { expect } from 'chai';
import { KubeApi } from '../../../lib/kube-api.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { startControlPlane, type ControlPlane } from '../../env/control-plane.js';

describe('KubeApi connections on a real API server', function () {
  let cp: ControlPlane;

  before(async function () {
    cp = await startControlPlane();
  });

  after(async function () {
    await cp.stop();
  });

  it('sends many requests over a few reused connections, one after another and ten at a time', async () => {
    const api = new KubeApi(loadKubeConfig(cp.kubeconfigPath));
    await api.get('v1', 'Namespace', 'default'); // discovery and the first connection
    const server = new URL(cp.server);
    let opened = 0;
    // Every client TCP socket Node creates is published here, whoever creates it.
    const onSocket = (msg: unknown) => {
      const socket = (msg as { socket: { remotePort?: number; once(e: string, f: () => void): void } }).socket;
      socket.once('connect', () => {
        if (String(socket.remotePort) === server.port) opened++;
      });
    };
    subscribe('net.client.socket', onSocket);
    try {
      for (let i = 0; i < 30; i++) expect((await api.get('v1', 'Namespace', 'default'))?.metadata?.name).to.equal('default');
      expect(opened, 'connections opened for 30 sequential requests').to.be.at.most(1);
      await Promise.all(Array.from({ length: 10 }, () => api.get('v1', 'Namespace', 'kube-system')));
      const before = opened;
      for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: 10 }, () => api.get('v1', 'Namespace', 'default')));
      expect(opened - before, 'connections opened for 3 rounds of 10 once the pool is warm').to.equal(0);
    } finally {
      unsubscribe('net.client.socket', onSocket);
    }
  });
});
