/** What every node handler works with; built once by plugin.ts, replaced piece by piece in tests. */
import type { Exec } from '../../lib/exec.js';
import type { Logger } from '../../lib/log.js';
import type { SignatureProber } from '../../node-agent/discovery/signatures.js';
import type { Mounter } from './mounter.js';
import type { NodeLvm } from './node-lvm.js';
import type { StateFile } from './state-file.js';

export interface NodeDeps {
  readonly nodeName: string;
  /** kubelet's root directory (--kubelet-dir): every target and staging path must be inside it. */
  readonly kubeletDir: string;
  /** Root of the cgroup hierarchy (cgroup2 mount, or the v1 tmpfs holding blkio/). */
  readonly cgroupRoot: string;
  readonly exec: Exec;
  readonly mounter: Mounter;
  readonly lvm: NodeLvm;
  readonly probe: SignatureProber;
  readonly state: StateFile;
  readonly log: Logger;
}

const DEVICE_TIMEOUT_MS = 30_000;

/** Size in bytes of a block device (or of a file a device node is bound onto). */
export async function deviceSize(deps: NodeDeps, path: string): Promise<number> {
  const { stdout } = await deps.exec.run(['blockdev', '--getsize64', path], { timeoutMs: DEVICE_TIMEOUT_MS });
  const n = Number(stdout.trim());
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`blockdev --getsize64 ${path} printed "${stdout.trim()}"`);
  return n;
}
