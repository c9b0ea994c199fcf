// The direct half of `npm run bench:csi`, run inside the UML storage node (the driver's socket is only reachable
// there): N LVM CreateVolume calls, N NodeStageVolume + NodePublishVolume at the paths a kubelet would use, the
// clean-up, then N bare `lvcreate`/`lvremove` of the same size as the baseline. Writes every latency and each phase's
// time window (guest clock, to match the driver's log) to the JSON file named by argv[2]; prints nothing.
//
//   node --import tsx test/bench/guest/csi-calls.ts <result.json> <socket> <kubelet-dir> <node> <vg> <count> <bytes>
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CSI_DRIVER_NAME } from '../../../api/group.js';
import { createExec } from '../../../lib/exec.js';
import { csiClient } from '../../integration/csi/support/csi-client.js';

const [resultPath, socket, kubeletDir, node, vg, countArg, bytesArg] = process.argv.slice(2);
if (!resultPath || !socket || !kubeletDir || !node || !vg || !countArg || !bytesArg) throw new Error('usage: csi-calls.ts <result.json> <socket> <kubelet-dir> <node> <vg> <count> <bytes>');
const count = Number(countArg);
const bytes = bytesArg;
const exec = createExec('direct');
const client = csiClient(socket, 300_000);
const topology = { segments: { 'kubernetes.io/hostname': node } };
const capability = { mount: { fs_type: 'ext4', mount_flags: [] }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };

interface Phase {
  /** Milliseconds per item, in order. */
  readonly ms: number[];
  /** Guest wall clock (epoch ms) at the phase's start and end. */
  readonly from: number;
  readonly to: number;
}

/** Runs `fn` for 0..count-1 one after the other (the latency of one call, not throughput) and times each. */
async function timed(fn: (i: number) => Promise<unknown>): Promise<Phase> {
  const from = Date.now();
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await fn(i);
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return { ms, from, to: Date.now() };
}

/**
 * Runs argv(i) for 0..count-1 one after the other, each timed by `sh` from just before to just after the command (a
 * small process forks it, as kubelet-less host tools would), not including this process's own process start.
 */
async function timedAlone(argv: (i: number) => string[]): Promise<Phase> {
  const from = Date.now();
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const { stdout } = await exec.run(['sh', '-c', 'a=$(date +%s%N); "$@" >/dev/null; s=$?; b=$(date +%s%N); echo $(((b - a) / 1000)); exit $s', 'sh', ...argv(i)], { timeoutMs: 120_000 });
    ms.push(Number(stdout.trim().split('\n').at(-1)) / 1000);
  }
  return { ms, from, to: Date.now() };
}

interface Created {
  readonly id: string;
  readonly context: Record<string, string>;
  readonly staging: string;
  readonly target: string;
}
const volumes: Created[] = [];
// Paths as the kubelet builds them: the staging dir from a hash of the PV name, the target under the pod's UID.
const stagingPath = (pv: string) => join(kubeletDir, 'plugins', 'kubernetes.io', 'csi', CSI_DRIVER_NAME, createHash('sha256').update(pv).digest('hex'), 'globalmount');
const targetPath = (pv: string) => join(kubeletDir, 'pods', randomUUID(), 'volumes', 'kubernetes.io~csi', pv, 'mount');

try {
  const create = await timed(async (i) => {
    const pv = `pvc-bench-direct-${i}`;
    const res = await client.controller<{ volume: { volume_id: string; volume_context: Record<string, string> } }>('CreateVolume', {
      name: pv,
      capacity_range: { required_bytes: bytes },
      volume_capabilities: [capability],
      parameters: { volumeType: 'LVM' },
      accessibility_requirements: { requisite: [topology], preferred: [topology] },
    });
    volumes.push({ id: res.volume.volume_id, context: res.volume.volume_context, staging: stagingPath(pv), target: targetPath(pv) });
  });
  const stagePublish = await timed(async (i) => {
    const v = volumes[i] as Created;
    // The kubelet creates the staging dir and the target's parent; the driver makes the target itself.
    await mkdir(v.staging, { recursive: true });
    await mkdir(join(v.target, '..'), { recursive: true });
    await client.node('NodeStageVolume', { volume_id: v.id, staging_target_path: v.staging, volume_capability: capability, volume_context: v.context });
    await client.node('NodePublishVolume', { volume_id: v.id, staging_target_path: v.staging, target_path: v.target, volume_capability: capability, volume_context: v.context, readonly: false });
  });
  const teardown = await timed(async (i) => {
    const v = volumes[i] as Created;
    await client.node('NodeUnpublishVolume', { volume_id: v.id, target_path: v.target });
    await client.node('NodeUnstageVolume', { volume_id: v.id, staging_target_path: v.staging });
    await client.controller('DeleteVolume', { volume_id: v.id });
  });
  // The baseline: the same LV size with the flags the driver's reconciler uses, lvm2 alone, timed by a shell around
  // the command: starting a process from this one (a Node process under tsx) costs more than the command itself.
  const lvcreate = await timedAlone((i) => ['lvm', 'lvcreate', '-n', `bench-lvcreate-${i}`, '-L', `${bytes}b`, '-Wy', '-y', '--addtag', 'open-local', vg]);
  const lvremove = await timedAlone((i) => ['lvm', 'lvremove', '-y', `${vg}/bench-lvcreate-${i}`]);
  await writeFile(resultPath, JSON.stringify({ create, stagePublish, teardown, lvcreate, lvremove }));
} finally {
  client.close();
}
