// A network namespace with a tap device, so a UML guest (runInUml({ tap })) can talk to services
// of the test. Addresses exist only inside that namespace: nothing changes in the host's network.
//
// The guest's eth0 is the other end of the tap device. Services (a kube-apiserver on 127.0.0.1,
// a scheduler extender, ...) stay in the host namespace; forwardTcp() makes one reachable from the
// guest at <hostIp>:<port> through a small forwarder that runs inside the namespace and relays each
// connection over a unix socket (filesystem sockets cross network namespaces) to the service.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './net.js';
import { registerExitHook, registerTempDir, startProcess, tailFile, unregisterTempDir } from './processes.js';

const run = promisify(execFile);

export interface TestNetns {
  readonly name: string;
  /** Tap device inside the namespace; pass it as runInUml({ tap: { device } }). */
  readonly tap: string;
  /** Address of the tap device (the namespace's side). Services forwarded with forwardTcp listen here. */
  readonly hostIp: string;
  /** Address for the guest's eth0 (runInUml({ tap: { address: guestCidr } })). */
  readonly guestIp: string;
  readonly guestCidr: string;
  /** Makes target reachable inside the namespace at hostIp:port. */
  forwardTcp(port: number, target: { host: string; port: number }): Promise<{ stop(): Promise<void> }>;
  /** Stops the forwarders and deletes the namespace. Idempotent. */
  destroy(): Promise<void>;
}

export interface NetnsOptions {
  /** /24 prefix used inside the namespace. @default '10.231.0' */
  readonly subnet?: string;
}

let counter = 0;

async function ip(args: readonly string[]): Promise<void> {
  try {
    await run('ip', [...args]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('ip not found: apt-get install -y iproute2', { cause: err });
    throw new Error(`ip ${args.join(' ')} failed: ${e.stderr ?? e.message} (network namespaces need root)`, {
      cause: err,
    });
  }
}

// Runs inside the namespace: accepts TCP on host:port, relays each connection to a unix socket.
const FORWARDER = `
const net = require('node:net');
const [host, port, path] = process.argv.slice(1);
net.createServer((c) => {
  const s = net.connect(path);
  c.pipe(s).pipe(c);
  c.on('error', () => s.destroy()); s.on('error', () => c.destroy());
}).listen(Number(port), host, () => console.log('ready'));
`;

export async function createNetns(opts: NetnsOptions = {}): Promise<TestNetns> {
  const name = `olo-${process.pid}-${counter++}`;
  const subnet = opts.subnet ?? '10.231.0';
  const tap = 'tap0';
  await ip(['netns', 'add', name]);
  const dropHook = registerExitHook(() => execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' }));
  const work = await mkdtemp(join(tmpdir(), 'open-local-netns-'));
  registerTempDir(work);
  const stops: (() => Promise<void>)[] = [];
  let destroyed: Promise<void> | undefined;
  const destroy = (): Promise<void> =>
    (destroyed ??= (async () => {
      for (const stop of stops.reverse()) await stop();
      await ip(['netns', 'del', name]).catch(() => undefined);
      dropHook();
      await rm(work, { recursive: true, force: true });
      unregisterTempDir(work);
    })());
  try {
    const inNs = (args: readonly string[]): Promise<void> => ip(['netns', 'exec', name, 'ip', ...args]);
    await inNs(['link', 'set', 'lo', 'up']);
    await inNs(['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    await inNs(['addr', 'add', `${subnet}.1/24`, 'dev', tap]);
    await inNs(['link', 'set', tap, 'up']);
  } catch (err) {
    await destroy();
    throw err;
  }
  let n = 0;
  return {
    name,
    tap,
    hostIp: `${subnet}.1`,
    guestIp: `${subnet}.2`,
    guestCidr: `${subnet}.2/24`,
    destroy,
    async forwardTcp(port, target) {
      const sock = join(work, `fwd-${n++}.sock`);
      const sockets = new Set<Socket>();
      const server: Server = createServer((c) => {
        const s = connect(target.port, target.host);
        sockets.add(c).add(s);
        c.pipe(s).pipe(c);
        c.on('error', () => s.destroy());
        s.on('error', () => c.destroy());
        c.on('close', () => sockets.delete(c));
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(sock, resolve);
      });
      const logPath = join(work, `fwd-${port}.log`);
      const proc = startProcess({
        name: `forwarder ${name} ${port}`,
        command: 'ip',
        args: ['netns', 'exec', name, process.execPath, '-e', FORWARDER, `${subnet}.1`, String(port), sock],
        logPath,
      });
      const stop = async (): Promise<void> => {
        await proc.stop(2000);
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => server.close(() => { resolve(); }));
      };
      stops.push(stop);
      await waitFor(`forwarder for port ${port} in ${name}`, () => Promise.resolve(tailFile(logPath).includes('ready')), {
        timeoutMs: 10_000,
        abort: () => (proc.exitInfo() ? `exited: ${tailFile(logPath)}` : undefined),
      }).catch(async (err: unknown) => {
        await stop();
        throw err;
      });
      return { stop };
    },
  };
}
