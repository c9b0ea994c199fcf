/**
 * Carries out a prepare-vg plan (plan.ts) or a removal plan (plan-remove.ts, `--remove`) and reports it in the
 * operator's contract (result.ts). Each VG and mount point is independent: one failing does not stop the others.
 * Within a VG, PVs this run created are removed again if the VG could not be created or extended, so a failure
 * leaves the disks as they were (forced wipes excepted: the user asked for those).
 *
 * Interruption (SIGTERM/SIGINT, `stopped()`): the step that is running (one VG's commands, or one mount point's) runs
 * to its end so LVM and the disks stay consistent; no further step starts, and each one left is reported Failed
 * "interrupted by SIGTERM before ...".
 */
import type { ResourceToBeInited } from '../../api/generated/types.js';
import { isKernelDeviceName } from '../../lib/device-names.js';
import type { Exec } from '../../lib/exec.js';
import type { Logger } from '../../lib/log.js';
import type { Lvm } from '../lvm/commands.js';
import { normalizeDir } from '../discovery/mounts.js';
import { FILESYSTEMS } from './block-tools.js';
import { hostRecordsPath, readHostRecords, writeHostRecords } from './host-records-file.js';
import { recordUpdates, withRecords } from './host-records.js';
import { parseRecord } from './records.js';
import { inspectForRemoval, inspectNode } from './inspect.js';
import { mkfsUuidArgs } from './fs-uuid.js';
import { FS_LABEL, planPrepare, type MountPlan, type PvTagging, type VgPlan, type Wipe } from './plan.js';
import { planRemove, type RemovePlan } from './plan-remove.js';
import { RESULT_VERSION, type MountPointResult, type PrepareVgResult, type VgResult } from './result.js';

export interface PrepareOptions {
  readonly node: string;
  readonly configHash: string;
  readonly exec: Exec;
  readonly lvm: Lvm;
  readonly log: Logger;
  /** The host's /sys, for disk identities. */
  readonly sysfs: string;
  readonly kubeletDir: string;
  /** Why the run must stop before its next step (e.g. "interrupted by SIGTERM"), or undefined to go on. */
  readonly stopped: () => string | undefined;
  /** The host directory of prepare-vg's record file (host-records.ts). */
  readonly stateDir: string;
}

/** wipefs and mount are quick; mkfs of a large disk is not (xfs and lazy-init ext4 take seconds, old mkfs minutes). */
const WIPE_TIMEOUT_MS = 60_000;
const MKFS_TIMEOUT_MS = 30 * 60_000;
const MOUNT_TIMEOUT_MS = 120_000;

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function wipe(w: Wipe, o: PrepareOptions): Promise<void> {
  if (isKernelDeviceName(w.requested)) {
    o.log.warn({ requested: w.requested }, 'forced device named by its kernel name, which can point to another disk after a reboot: name it by /dev/disk/by-id/... (it is recorded now, so a later run refuses the name if it moved)');
  }
  o.log.warn({ device: w.device, requested: w.requested, destroys: w.destroys, partitions: w.partitions }, 'FORCED: DESTROYING every signature on this device, as the config asks (forceDevices/force)');
  for (const target of [...w.partitions, w.device]) await o.exec.run(['wipefs', '--all', target], { timeoutMs: WIPE_TIMEOUT_MS });
}

/** Records which disk each PV is (records.ts). A failure is reported but changes nothing already done. */
async function addRecords(vg: string, records: readonly PvTagging[], o: PrepareOptions): Promise<string[]> {
  const failed: string[] = [];
  for (const r of records) {
    try {
      await o.lvm.addPvTags(r.device, r.tags);
      o.log.info({ vg, device: r.device, tags: r.tags }, 'recorded the identity of a physical volume');
    } catch (err) {
      o.log.error({ err, vg, device: r.device }, 'could not record the identity of a physical volume');
      failed.push(`could not record the identity of ${r.device} (pvchange --addtag): ${message(err)}`);
    }
  }
  return failed;
}

async function applyVg(p: VgPlan, o: PrepareOptions): Promise<{ state: VgResult['state']; message: string }> {
  const a = p.action;
  if (a.kind === 'ready') {
    if (a.message !== undefined) o.log.info({ vg: p.name, note: a.message }, 'volume group ready, used as is');
    const failed = await addRecords(p.name, a.record, o);
    return { state: failed.length > 0 ? 'Failed' : 'Ready', message: [a.message ?? '', ...failed].filter((m) => m !== '').join('; ') };
  }
  if (a.kind === 'refuse') {
    o.log.warn({ vg: p.name, reason: a.message }, 'refused volume group');
    return { state: 'Refused', message: a.message };
  }
  const created: string[] = [];
  try {
    for (const w of a.wipe) await wipe(w, o);
    for (const device of a.add) {
      await o.lvm.pvcreate(device);
      created.push(device);
    }
    if (a.kind === 'create') await o.lvm.vgcreate(p.name, a.add);
    else await o.lvm.vgextend(p.name, a.add);
    o.log.info({ vg: p.name, devices: a.add }, a.kind === 'create' ? 'created volume group' : 'extended volume group');
    const failed = await addRecords(p.name, a.record, o);
    return { state: failed.length > 0 ? 'Failed' : a.kind === 'create' ? 'Created' : 'Extended', message: failed.join('; ') };
  } catch (err) {
    const rollback: string[] = [];
    for (const device of created) {
      try {
        await o.lvm.pvremove(device);
      } catch (undo) {
        rollback.push(`could not remove the PV label this run put on ${device}: ${message(undo)}`);
      }
    }
    o.log.error({ err, vg: p.name, rolledBack: created }, 'volume group failed');
    return { state: 'Failed', message: [`${a.kind === 'create' ? 'vgcreate' : 'vgextend'} failed: ${message(err)}`, ...rollback].join('; ') };
  }
}

/** `blkid -p -o export` output → its KEY=value pairs. */
const blkidFields = (text: string): Map<string, string> => new Map(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

async function applyMount(p: MountPlan, o: PrepareOptions): Promise<MountPointResult> {
  const a = p.action;
  const result = (state: MountPointResult['state'], msg = ''): MountPointResult => ({ path: p.path, device: p.device, state, message: msg, ...(a.kind === 'mount' ? { fsUuid: a.fsUuid } : {}) });
  if (a.kind === 'ready') return result('Ready');
  if (a.kind === 'refuse') {
    o.log.warn({ path: p.path, reason: a.message }, 'refused mount point');
    return result('Refused', a.message);
  }
  try {
    await o.exec.run(['mkdir', '-p', '--', p.path], { timeoutMs: MOUNT_TIMEOUT_MS });
    if (a.wipe) await wipe(a.wipe, o);
    if (a.format) {
      // No -F/-f: should a signature have appeared since the inspection, mkfs refuses instead of overwriting it.
      await o.exec.run([`mkfs.${a.fsType}`, '-q', '-L', FS_LABEL, ...mkfsUuidArgs(a.fsType, a.fsUuid), a.device], { timeoutMs: MKFS_TIMEOUT_MS });
    }
    // The device is mounted only if it holds exactly the filesystem checked for, read from the disk right now. It is
    // mounted by its path rather than by UUID=: a cloned disk with the same UUID would make UUID= pick either one.
    const probe = blkidFields((await o.exec.run(['blkid', '-p', '-o', 'export', '--', a.device], { timeoutMs: MOUNT_TIMEOUT_MS, okCodes: [0, 2] })).stdout);
    if (probe.get('UUID') !== a.fsUuid || probe.get('TYPE') !== a.fsType) {
      throw new Error(`${a.device} holds ${probe.get('TYPE') ?? 'no filesystem'} UUID ${probe.get('UUID') ?? 'none'}, not the ${a.fsType} filesystem UUID ${a.fsUuid} of this mount point; not mounted`);
    }
    await o.exec.run(['mount', '-t', a.fsType, ...(a.options.length > 0 ? ['-o', a.options.join(',')] : []), a.device, p.path], { timeoutMs: MOUNT_TIMEOUT_MS });
    o.log.info({ path: p.path, device: a.device, formatted: a.format }, 'mounted mount point');
    return a.format ? result('Created') : result('Ready', `mounted the existing open-local ${a.fsType} filesystem`);
  } catch (err) {
    o.log.error({ err, path: p.path }, 'mount point failed');
    return result('Failed', message(err));
  }
}

/** Inspects, plans and applies. Throws only when the node cannot be inspected at all (exit 3). */
export async function prepareNode(config: ResourceToBeInited, o: PrepareOptions): Promise<PrepareVgResult> {
  // Nothing asked, nothing to inspect: a node without LVM tools is fine when it needs no VG.
  if ((config.vgs ?? []).length === 0 && (config.mountpoints ?? []).length === 0) {
    return { version: RESULT_VERSION, node: o.node, configHash: o.configHash, volumeGroups: [], mountPoints: [] };
  }
  const facts = await inspectNode(o.exec, o.lvm, config, { sysfs: o.sysfs, stateDir: o.stateDir });
  const plan = planPrepare(config, facts, { kubeletDir: o.kubeletDir });
  o.log.info({ vgs: plan.vgs.map((v) => ({ name: v.name, action: v.action.kind })), mountPoints: plan.mountPoints.map((m) => ({ path: m.path, action: m.action.kind })) }, 'plan');
  const notStarted = (why: string) => `${why} before this step started; nothing was done`;
  const vgStates = [];
  for (const p of plan.vgs) {
    const stop = o.stopped();
    vgStates.push({ name: p.name, ...(stop === undefined ? await applyVg(p, o) : { state: 'Failed' as const, message: notStarted(stop) }) });
  }
  const mountPoints: MountPointResult[] = [];
  for (const p of plan.mountPoints) {
    const stop = o.stopped();
    mountPoints.push(stop === undefined ? await applyMount(p, o) : { path: p.path, device: p.device, state: 'Failed', message: notStarted(stop) });
  }
  // Devices and size as LVM sees them after the run, whatever happened.
  let after: Awaited<ReturnType<Lvm['report']>> = { vgs: [], pvs: [], lvs: [] };
  let unreadable = '';
  try {
    if (plan.vgs.length > 0) after = await o.lvm.report();
  } catch (err) {
    unreadable = `could not read LVM after the run: ${message(err)}`;
    o.log.error({ err }, unreadable);
  }
  // Remember on the host which disk each configured path now is (host-records.ts). Failing to is a failure: the
  // record is what protects these names should a disk vanish.
  const updates = recordUpdates(facts.hostRecords, {
    vgs: config.vgs ?? [],
    mountPoints: (config.mountpoints ?? []).map((mp) => {
      const result = mountPoints.find((m) => m.path === mp.path);
      const mounted = result?.state === 'Created' || result?.state === 'Ready';
      const found = facts.devices.get(mp.device)?.signatures.find((s) => FILESYSTEMS.includes(s.type))?.uuid;
      return { device: mp.device, path: normalizeDir(mp.path), fsUuid: mounted ? (result.fsUuid ?? found) : undefined };
    }),
    devices: new Map([...facts.devices].map(([r, f]) => [r, { path: f.path, wwn: f.identity?.wwn, serial: f.identity?.serial }])),
    pvs: after.pvs.map((pv) => ({ path: pv.name, vgName: pv.vgName, ...(pv.uuid ? { uuid: pv.uuid } : {}) })),
  });
  let unrecorded = '';
  if (updates.size > 0) {
    try {
      await writeHostRecords(o.exec, o.stateDir, withRecords(facts.hostRecords, updates));
      o.log.info({ file: hostRecordsPath(o.stateDir), devices: [...updates.keys()] }, 'recorded the devices initialised on this node');
    } catch (err) {
      unrecorded = `could not record the devices in ${hostRecordsPath(o.stateDir)}: ${message(err)}`;
      o.log.error({ err }, unrecorded);
    }
  }
  const failedRecord = (devices: readonly string[]) => unrecorded !== '' && devices.some((d) => updates.has(d));
  for (const [i, m] of mountPoints.entries()) {
    if (failedRecord([m.device])) mountPoints[i] = { ...m, state: 'Failed', message: [m.message, unrecorded].filter((x) => x !== '').join('; ') };
  }
  const volumeGroups: VgResult[] = vgStates.map((v) => {
    const vg = after.vgs.find((x) => x.name === v.name);
    const pvs = after.pvs.filter((pv) => pv.vgName === v.name).sort((x, y) => x.name.localeCompare(y.name));
    const notRecorded = failedRecord(config.vgs?.find((c) => c.name === v.name)?.devices ?? []);
    return {
      name: v.name,
      state: notRecorded ? 'Failed' : v.state,
      devices: pvs.map((pv) => pv.name),
      ...(vg ? { size: String(vg.size) } : {}),
      message: [v.message, unreadable, notRecorded ? unrecorded : ''].filter((m) => m !== '').join('; '),
      ...(pvs.length > 0 ? { physicalVolumes: pvs.map((pv) => { const r = parseRecord(pv.tags); return { device: pv.name, uuid: pv.uuid ?? '', ...(r.dev ? { addedAs: r.dev } : {}), ...(r.wwn ? { wwn: r.wwn } : {}), ...(r.serial ? { serial: r.serial } : {}) }; }) } : {}),
    };
  });
  return { version: RESULT_VERSION, node: o.node, configHash: o.configHash, volumeGroups, mountPoints };
}

async function applyRemove(p: RemovePlan, o: PrepareOptions): Promise<{ state: VgResult['state']; removed: readonly string[]; message: string }> {
  const a = p.action;
  if (a.kind === 'absent') return { state: 'Removed', removed: [], message: a.message };
  if (a.kind === 'refuse') {
    o.log.warn({ vg: p.name, reason: a.message }, 'refused to remove volume group');
    return { state: 'Refused', removed: [], message: a.message };
  }
  try {
    await o.lvm.vgremove(p.name);
  } catch (err) {
    o.log.error({ err, vg: p.name }, 'vgremove failed');
    return { state: 'Failed', removed: [], message: `vgremove failed: ${message(err)}` };
  }
  o.log.warn({ vg: p.name, devices: a.devices }, 'REMOVED volume group (cleanup policy RemoveVolumeGroups); wiping the LVM label of its physical volumes');
  const removed: string[] = [];
  const left: string[] = [];
  for (const device of a.devices) {
    try {
      await o.lvm.pvremove(device);
      removed.push(device);
    } catch (err) {
      o.log.error({ err, device }, 'pvremove failed');
      left.push(`${device}: ${message(err)}`);
    }
  }
  if (left.length > 0) {
    return { state: 'Failed', removed, message: `volume group removed, but the LVM label could not be wiped from ${left.join('; ')} (run \`pvremove\` on each)` };
  }
  return { state: 'Removed', removed, message: '' };
}

/**
 * `--remove`: inspects LVM, plans (plan-remove.ts) and removes every configured VG that open-local created and that
 * holds no LV. Throws only when LVM cannot be read at all (exit 3).
 *
 * Mount points are deliberately not touched and reported as none (`mountPoints: []`): the cleanup policy is about
 * volume groups, and a mounted filesystem may hold data (unmounting or wiping it is not something a policy named
 * RemoveVolumeGroups may do on its own).
 */
export async function removeNode(config: ResourceToBeInited, o: PrepareOptions): Promise<PrepareVgResult> {
  // Nothing asked, nothing to inspect: a node without LVM tools is fine when it has no VG to remove.
  if ((config.vgs ?? []).length === 0) return { version: RESULT_VERSION, node: o.node, configHash: o.configHash, volumeGroups: [], mountPoints: [] };
  const facts = await inspectForRemoval(o.exec, o.lvm, config);
  const plan = planRemove(config, facts);
  o.log.info({ vgs: plan.map((v) => ({ name: v.name, action: v.action.kind })) }, 'removal plan');
  const outcomes = [];
  for (const p of plan) {
    const stop = o.stopped();
    outcomes.push({ name: p.name, ...(stop === undefined ? await applyRemove(p, o) : { state: 'Failed' as const, removed: [], message: `${stop} before this step started; nothing was done` }) });
  }
  // Verify against LVM after the run: a VG reported Removed must be gone, and none of its former PVs a PV any more.
  let after: Awaited<ReturnType<Lvm['report']>> | undefined;
  let unreadable = '';
  try {
    after = await o.lvm.report();
  } catch (err) {
    unreadable = `could not read LVM after the run: ${message(err)}`;
    o.log.error({ err }, unreadable);
  }
  // Forget the paths of the VGs this run removed (host-records.ts): their disks are free again. A record file that
  // cannot be read or written only keeps prepare-vg more cautious (it refuses those names later), so it is reported
  // without failing the removal.
  const gone = new Set(outcomes.filter((v) => v.state === 'Removed' && v.removed.length > 0).map((v) => v.name));
  let unforgotten = '';
  if (gone.size > 0) {
    try {
      const records = await readHostRecords(o.exec, o.stateDir);
      const forget = new Map([...records].filter(([, r]) => r.vg !== undefined && gone.has(r.vg)).map(([path]) => [path, undefined]));
      if (forget.size > 0) await writeHostRecords(o.exec, o.stateDir, withRecords(records, forget));
    } catch (err) {
      unforgotten = `could not remove the removed volume groups' devices from ${hostRecordsPath(o.stateDir)}: ${message(err)}`;
      o.log.error({ err }, unforgotten);
    }
  }
  const volumeGroups: VgResult[] = outcomes.map((v) => {
    const vg = after?.vgs.find((x) => x.name === v.name);
    let state = v.state;
    const messages = [v.message, gone.has(v.name) ? unforgotten : ''];
    if (v.state === 'Removed' && after !== undefined) {
      const stillPvs = new Set(after.pvs.map((pv) => pv.name));
      const labelled = v.removed.filter((d) => stillPvs.has(d));
      if (vg) messages.push(`volume group ${v.name} is still present after the run`);
      if (labelled.length > 0) messages.push(`${labelled.join(', ')} still ${labelled.length === 1 ? 'carries' : 'carry'} an LVM label after the run`);
      if (vg || labelled.length > 0) state = 'Failed';
    }
    messages.push(unreadable);
    return {
      name: v.name,
      state,
      devices: v.state === 'Removed' ? [...v.removed] : (after?.pvs ?? []).filter((pv) => pv.vgName === v.name).map((pv) => pv.name).sort(),
      ...(vg ? { size: String(vg.size) } : {}),
      message: messages.filter((m) => m !== '').join('; '),
    };
  });
  return { version: RESULT_VERSION, node: o.node, configHash: o.configHash, volumeGroups, mountPoints: [] };
}
