import type { NodeStatus } from '../../api/generated/types.js';
import type { PrepareVgResult } from '../../node-agent/prepare-vg/result.js';
import type { JobFacts } from './plan.js';

/** The per-VG part of a node's status, from a prepare-vg result. */
export function vgStatuses(r: PrepareVgResult): NodeStatus['volumeGroups'] {
  return r.volumeGroups.map((v) => ({ name: v.name, state: v.state, devices: [...v.devices], ...(v.size ? { size: v.size } : {}), message: v.message }));
}

export function summary(r: PrepareVgResult | undefined): string {
  if (!r || r.volumeGroups.length === 0) return 'no volume groups to prepare';
  return r.volumeGroups.map((v) => `${v.name}: ${v.state}`).join(', ');
}

/** Why a finished prepare-VG Job failed, most specific first: what prepare-vg said, then what the Job controller said. */
export function failure(job: JobFacts, r: PrepareVgResult | undefined, invalid: string | undefined): { reason: string; message: string } {
  if (r?.error) return { reason: 'InspectionFailed', message: r.error };
  const bad = r?.volumeGroups.filter((v) => v.state === 'Refused' || v.state === 'Failed') ?? [];
  const badMounts = r?.mountPoints.filter((m) => m.state === 'Refused' || m.state === 'Failed') ?? [];
  if (bad.some((v) => v.state === 'Refused') || badMounts.some((m) => m.state === 'Refused')) {
    return { reason: 'DeviceRefused', message: [...bad.map((v) => `${v.name}: ${v.message}`), ...badMounts.map((m) => `${m.path}: ${m.message}`)].join('; ') };
  }
  if (bad.length > 0 || badMounts.length > 0) {
    return { reason: 'PreparationFailed', message: [...bad.map((v) => `${v.name}: ${v.message}`), ...badMounts.map((m) => `${m.path}: ${m.message}`)].join('; ') };
  }
  if (job.failureReason === 'DeadlineExceeded') return { reason: 'JobTimedOut', message: `prepare-VG Job ${job.name} exceeded spec.prepareVolumeGroups.timeoutSeconds` };
  if (invalid) return { reason: 'InvalidResult', message: `prepare-VG Job ${job.name} reported no usable result: ${invalid}` };
  return { reason: 'JobFailed', message: `prepare-VG Job ${job.name} failed${job.failureReason ? ` (${job.failureReason})` : ''}; see its pod's log` };
}
