// A network namespace with a tap device, so a UML guest (runInUml({ tap })) can talk to services
// of the test. Addresses exist only inside that namespace: nothing changes in the host's network.
//
// The guest's eth0 is the other end of the tap device. Services (a kube-apiserver on 127.0.0.1,
// a scheduler extender, ...) stay in the host namespace; forwardTcp() makes one reachable from the
// guest at <hostIp>:<port> through a small forwarder that runs inside the namespace and relays each
// connection over a unix socket (filesystem sockets cross network namespaces) to the service.
//
// With { bridge: true } the namespace is the L2/L3 network of a whole cluster (cluster-network.ts): a bridge holds
// <hostIp>, addTap() plugs one guest after another into it, the namespace routes between them (IP forwarding is
// on, in the namespace only) and addRoute() sends a node's pod CIDR to that node. A service can also run inside
// the namespace (`ip netns exec`) and be reached from the host with exposeTcp(), the reverse relay.
import { execFile, execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
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
  /** Makes target reachable inside the namespace at hostIp:port (or `listenHost`:port, e.g. 127.0.0.1). */
  forwardTcp(
    port: number,
    target: { host: string; port: number },
    opts?: { listenHost?: string },
  ): Promise<{ stop(): Promise<void> }>;
  /**
   * Makes 127.0.0.1:port inside the namespace reachable from the host at 127.0.0.1:port, or at 127.0.0.1:hostPort
   * (0: any free port; a port every namespace uses, such as OLM's fixed health port, cannot be taken twice on the
   * host). Returns the host port.
   */
  exposeTcp(port: number, opts?: { hostPort?: number }): Promise<{ port: number; stop(): Promise<void> }>;
  /** Bridge mode: creates a tap device on the bridge for one more guest and returns its name. */
  addTap(name: string): Promise<string>;
  /** Routes `cidr` (e.g. a node's pod CIDR) through `via` inside the namespace. */
  addRoute(cidr: string, via: string): Promise<void>;
  /** Deletes a link (a tap made by addTap) and the routes through it. */
  deleteLink(name: string): Promise<void>;
  /** Stops the forwarders and deletes the namespace. Idempotent. */
  destroy(): Promise<void>;
}

/**
 * The command and argv that run `bin args` inside `netns`, or on the host when it is undefined. `ip netns exec`
 * execs the program: the process started (and stopped) is the program itself.
 */
export function netnsCommand(netns: TestNetns | undefined, bin: string, args: readonly string[]): { command: string; args: string[] } {
  return netns ? { command: 'ip', args: ['netns', 'exec', netns.name, bin, ...args] } : { command: bin, args: [...args] };
}

export interface NetnsOptions {
  /** /24 prefix used inside the namespace. @default '10.231.0' */
  readonly subnet?: string;
  /**
   * A bridge `br0` holds <subnet>.1 and taps are added with addTap(); IP forwarding is on, so the namespace
   * routes between the guests' networks. @default false (one tap `tap0` holding <subnet>.1)
   */
  readonly bridge?: boolean;
  /**
   * The resolv.conf of processes started in the namespace with `ip netns exec` (which mounts
   * /etc/netns/<name>/resolv.conf over /etc/resolv.conf for them): how a host-network process of a node uses the
   * cluster DNS, as a control-plane pod with `dnsPolicy: ClusterFirstWithHostNet` does. @default the host's
   */
  readonly resolvConf?: string;
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

// Runs inside the namespace: accepts connections on a unix socket, relays each to TCP host:port there.
const EXPOSER = `
const net = require('node:net');
const [path, host, port] = process.argv.slice(1);
net.createServer((c) => {
  const s = net.connect(Number(port), host);
  c.pipe(s).pipe(c);
  c.on('error', () => s.destroy()); s.on('error', () => c.destroy());
}).listen(path, () => console.log('ready'));
`;

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
  const tap = opts.bridge ? 'br0' : 'tap0';
  await ip(['netns', 'add', name]);
  const etcDir = join('/etc/netns', name);
  const dropHook = registerExitHook(() => {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    rmSync(etcDir, { recursive: true, force: true });
  });
  const work = await mkdtemp(join(tmpdir(), 'open-local-netns-'));
  registerTempDir(work);
  const stops: (() => Promise<void>)[] = [];
  let destroyed: Promise<void> | undefined;
  const destroy = (): Promise<void> =>
    (destroyed ??= (async () => {
      for (const stop of stops.reverse()) await stop();
      await ip(['netns', 'del', name]).catch(() => undefined);
      await rm(etcDir, { recursive: true, force: true });
      dropHook();
      await rm(work, { recursive: true, force: true });
      unregisterTempDir(work);
    })());
  const inNs = (args: readonly string[]): Promise<void> => ip(['netns', 'exec', name, 'ip', ...args]);
  try {
    if (opts.resolvConf !== undefined) {
      await mkdir(etcDir, { recursive: true });
      await writeFile(join(etcDir, 'resolv.conf'), opts.resolvConf);
    }
    await inNs(['link', 'set', 'lo', 'up']);
    if (opts.bridge) {
      await inNs(['link', 'add', tap, 'type', 'bridge']);
      await run('ip', ['netns', 'exec', name, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    } else {
      await inNs(['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    }
    await inNs(['addr', 'add', `${subnet}.1/24`, 'dev', tap]);
    await inNs(['link', 'set', tap, 'up']);
  } catch (err) {
    await destroy();
    throw err;
  }
  let n = 0;
  // Starts `script` inside the namespace as the far end of `hostSide` (a server on the host), waits for it to say
  // 'ready'; destroy() stops both.
  const relay = async (
    what: string,
    logName: string,
    script: string,
    args: readonly string[],
    hostSide: { server: Server; sockets: Set<Socket> },
  ): Promise<{ stop(): Promise<void> }> => {
    const logPath = join(work, logName);
    const proc = startProcess({
      name: `${what} ${name}`,
      command: 'ip',
      args: ['netns', 'exec', name, process.execPath, '-e', script, ...args],
      logPath,
    });
    const stop = async (): Promise<void> => {
      await proc.stop(2000);
      for (const s of hostSide.sockets) s.destroy();
      await new Promise<void>((resolve) => hostSide.server.close(() => { resolve(); }));
    };
    stops.push(stop);
    await waitFor(`${what} in ${name}`, () => Promise.resolve(tailFile(logPath).includes('ready')), {
      timeoutMs: 10_000,
      abort: () => (proc.exitInfo() ? `exited: ${tailFile(logPath)}` : undefined),
    }).catch(async (err: unknown) => {
      await stop();
      throw err;
    });
    return { stop };
  };
  const pipeServer = (connectTo: () => Socket): { server: Server; sockets: Set<Socket> } => {
    const sockets = new Set<Socket>();
    const server = createServer((c) => {
      const s = connectTo();
      sockets.add(c).add(s);
      c.pipe(s).pipe(c);
      c.on('error', () => s.destroy());
      s.on('error', () => c.destroy());
      c.on('close', () => sockets.delete(c));
      s.on('close', () => sockets.delete(s));
    });
    return { server, sockets };
  };
  const listen = (server: Server, at: string | { port: number; host: string }): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(typeof at === 'string' ? { path: at } : at, resolve);
    });
  return {
    name,
    tap,
    hostIp: `${subnet}.1`,
    guestIp: `${subnet}.2`,
    guestCidr: `${subnet}.2/24`,
    destroy,
    async forwardTcp(port, target, fwdOpts = {}) {
      const sock = join(work, `fwd-${n++}.sock`);
      const side = pipeServer(() => connect(target.port, target.host));
      await listen(side.server, sock);
      const host = fwdOpts.listenHost ?? `${subnet}.1`;
      return relay(`forwarder for ${host}:${port}`, `fwd-${host}-${port}.log`, FORWARDER, [host, String(port), sock], side);
    },
    async exposeTcp(port, exposeOpts = {}) {
      const sock = join(work, `expose-${n++}.sock`);
      const side = pipeServer(() => connect(sock));
      // The relay in the namespace listens first; then the host side takes the port.
      const relayed = await relay(`exposer for port ${port}`, `expose-${port}-${n}.log`, EXPOSER, [sock, '127.0.0.1', String(port)], side);
      const hostPort = exposeOpts.hostPort ?? port;
      try {
        await listen(side.server, { port: hostPort, host: '127.0.0.1' });
      } catch (err) {
        await relayed.stop();
        throw new Error(`cannot listen on 127.0.0.1:${hostPort} to expose the namespace's port ${port}`, { cause: err });
      }
      const bound = side.server.address();
      return { port: typeof bound === 'object' && bound ? bound.port : hostPort, stop: () => relayed.stop() };
    },
    async addTap(tapName) {
      if (!opts.bridge) throw new Error(`namespace ${name} has no bridge: create it with { bridge: true }`);
      await inNs(['tuntap', 'add', 'dev', tapName, 'mode', 'tap']);
      await inNs(['link', 'set', tapName, 'master', tap]);
      await inNs(['link', 'set', tapName, 'up']);
      return tapName;
    },
    async addRoute(cidr, via) {
      await inNs(['route', 'replace', cidr, 'via', via]);
    },
    async deleteLink(link) {
      await inNs(['link', 'del', link]);

    },
  };
}
