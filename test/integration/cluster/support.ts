// What the tests on UML kubelet nodes share: load figures for their logs, the Node Ready wait, and the checks that a
// stopped node left nothing on the host.
import type { CoreV1Api, V1Node } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { eventually } from '../support/kubelet-play.js';

const run = promisify(execFile);

/** Host paths a kubelet node would create if a guest-private mount were missing (the guest's root is the host's). */
export const NODE_STATE_PATHS = ['/opt/containerd', '/var/lib/kubelet', '/var/lib/cni', '/var/lib/containerd', '/var/log/pods', '/etc/cni', '/etc/kubernetes'];

/** The 1, 5 and 15 minute load averages, printed beside every timing. */
export const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

export function nodeReady(node: V1Node | undefined): boolean {
  return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Waits (up to 5 min) for the Node's Ready condition and returns the Node. */
export function waitNodeReady(core: CoreV1Api, name: string): Promise<V1Node> {
  return eventually(`Node ${name} Ready`, async () => {
    const n = await core.readNode({ name });
    return nodeReady(n) ? n : undefined;
  }, 300_000);
}

/**
 * The host processes of the UML guests whose command line names one of `dirs`, and the processes of network
 * namespace `netns`, listed in that order. A guest starts host processes all the time (one per guest process), so
 * `guestPids` holds only those that existed before the namespace was listed and still exist: each must be in `nsPids`.
 */
export async function guestAndNamespacePids(dirs: readonly string[], netns: string): Promise<{ guestPids: number[]; nsPids: number[] }> {
  const seen = (await Promise.all(dirs.map((d) => processesMentioning(d)))).flat();
  const nsPids = (await run('ip', ['netns', 'pids', netns])).stdout.split('\n').filter(Boolean).map(Number);
  return { guestPids: seen.filter((pid) => existsSync(`/proc/${pid}`)), nsPids };
}

/** PIDs whose command line mentions `needle` (a temp dir or a namespace name). */
export async function processesMentioning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) pids.push(Number(entry));
  }
  return pids;
}
