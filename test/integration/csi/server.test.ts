// The CSI gRPC server on a real unix socket: the binary answers Identity, a stale socket is replaced, a live one or
// a regular file is not, and a shutdown lets the call in flight finish.
import { execFile } from 'node:child_process';
import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { createServer } from 'node:net';
import { mkdtemp, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serveCsi } from '../../../csi-driver/grpc/server.js';
import { createLogger } from '../../../lib/log.js';
import { crdManifests } from '../../../api/generated/crds.js';
import { startControlPlane } from '../../env/control-plane.js';
import { startProcess, type ManagedProcess } from '../../env/processes.js';
import { installCrds, rawApi } from '../support/raw-api.js';
import { waitFor } from '../../env/net.js';
import { csiClient, refusedWith } from './support/csi-client.js';

const repo = resolve(import.meta.dirname, '..', '..', '..');
const log = createLogger('csi-test', 'silent');

describe('CSI gRPC server', function () {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'open-local-csi-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('open-local csi --mode controller answers Identity on its socket, is ready once its caches listed, and removes the socket on SIGTERM', async function () {
    const sock = join(dir, 'csi.sock');
    const cp = await startControlPlane();
    await installCrds(rawApi(cp), crdManifests);
    const proc: ManagedProcess = startProcess({
      name: 'open-local-csi',
      command: process.execPath,
      args: [join(repo, 'bin', 'open-local.js'), 'csi', '--mode=controller', `--endpoint=unix://${sock}`, `--kubeconfig=${cp.kubeconfigPath}`, '--log-level=warn'],
      logPath: join(dir, 'csi.log'),
    });
    try {
      await waitFor('the CSI socket', async () => (await stat(sock).catch(() => undefined))?.isSocket() === true, { timeoutMs: 60_000 });
      const client = csiClient(sock);
      try {
        expect(await client.identity('GetPluginInfo')).to.include({ name: 'local.csi.aliyun.com' });
        const caps = await client.identity<{ capabilities: unknown[] }>('GetPluginCapabilities');
        expect(caps.capabilities).to.deep.include({ service: { type: 'CONTROLLER_SERVICE' }, type: 'service' });
        expect(caps.capabilities).to.deep.include({ volume_expansion: { type: 'ONLINE' }, type: 'volume_expansion' });
        await waitFor('Probe ready', async () => (await client.identity<{ ready: { value: boolean } }>('Probe')).ready.value, { timeoutMs: 60_000 });
      } finally {
        client.close();
      }
      const exit = await proc.stop(20_000);
      expect(exit.code, await readFile(join(dir, 'csi.log'), 'utf8')).to.equal(0);
      expect(await stat(sock).catch(() => 'gone')).to.equal('gone');
    } finally {
      await proc.stop(5000);
      await cp.stop();
    }
  });

  it('replaces a stale socket left by a crashed driver', async () => {
    const sock = join(dir, 'csi.sock');
    // What a SIGKILLed driver leaves behind: the socket file, and nobody listening on it.
    const script = `require('node:net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`;
    await new Promise<void>((r) => execFile(process.execPath, ['-e', script], () => { r(); }));
    expect((await stat(sock)).isSocket()).to.equal(true);
    const server = await serveCsi({ endpoint: `unix://${sock}`, log, services: { Identity: { Probe: () => Promise.resolve({ ready: { value: true } }) } } });
    const client = csiClient(sock);
    try {
      expect(await client.identity('Probe')).to.deep.equal({ ready: { value: true } });
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('refuses a socket another process serves, and a path that is not a socket, leaving both alone', async () => {
    const sock = join(dir, 'live.sock');
    const live = createServer();
    await new Promise<void>((r) => live.listen(sock, r));
    try {
      const err = await serveCsi({ endpoint: sock, log, services: {} }).then(() => undefined, (e: unknown) => e);
      expect(String(err)).to.contain('another process is serving on this socket');
      expect((await stat(sock)).isSocket()).to.equal(true);
    } finally {
      live.close();
    }
    const file = join(dir, 'not-a-socket');
    await writeFile(file, 'user data');
    const err = await serveCsi({ endpoint: file, log, services: {} }).then(() => undefined, (e: unknown) => e);
    expect(String(err)).to.contain('exists and is not a socket');
    expect(await readFile(file, 'utf8')).to.equal('user data');
  });

  it('finishes the call in flight on shutdown, answers UNIMPLEMENTED for methods it does not serve', async () => {
    const sock = join(dir, 'csi.sock');
    let release!: () => void;
    const released = new Promise<void>((r) => { release = r; });
    let started!: () => void;
    const began = new Promise<void>((r) => { started = r; });
    const server = await serveCsi({
      endpoint: sock,
      log,
      services: {
        Controller: {
          DeleteVolume: async () => {
            started();
            await released;
            return {};
          },
        },
      },
    });
    const client = csiClient(sock);
    try {
      expect((await refusedWith(client.controller('CreateVolume', { name: 'x' }))).code).to.equal(status.UNIMPLEMENTED);
      const call = client.controller('DeleteVolume', { volume_id: 'v' });
      await began;
      const stopped = server.stop(60_000);
      release();
      expect(await call).to.deep.equal({});
      await stopped;
      expect(await stat(sock).catch(() => 'gone')).to.equal('gone');
    } finally {
      client.close();
      await server.stop();
    }
  });
});
