/**
 * Volumes nobody will ever delete. CreateVolume runs while a claim waits for its PV; if the claim is deleted before
 * the PV is made, the provisioner stops calling (there is no claim to provision) and never calls DeleteVolume either
 * (only a released PV makes it do that). The LocalVolume would then hold its LV, or a whole Device or MountPoint
 * disk, for ever, and the allocator would count it as used. Pure: which LocalVolumes are such orphans, and why.
 *
 * Only what provably never backed a PV is an orphan: a volume that never became Ready (so no CreateVolume ever
 * answered it and no PV can have been made from it: Pending, or Failed before its node recorded an LV or disk for
 * it; a Ready volume can fail later, and then it has that record), made for a claim (the provisioner's PVC
 * annotation), with no PV of any name pointing at it, older than a grace period (the caches may lag), whose claim
 * is gone or is another claim now (same name, new UID). A Ready volume without a PV is never one: it may be a
 * Retain volume whose PV an admin deleted to recover the data by hand. Snapshots, volumes made without a claim
 * (csi-sanity, other COs) and anything being deleted are never touched here either.
 */
import type { LocalVolume } from '../../api/generated/types.js';
import { PVC_ANNOTATION } from './local-volume.js';
import { CSI_NAME_ANNOTATION } from './names.js';

/** The provisioner names a volume `<prefix>-<claim UID>`. */
const CLAIM_UID_SUFFIX = /-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export interface OrphanFacts {
  readonly localVolumes: Iterable<LocalVolume>;
  /** The volume handles of every PV of this driver. */
  readonly pvHandles: ReadonlySet<string>;
  /** The UID of the claim `namespace/name` now, undefined when there is none. */
  readonly claimUid: (namespace: string, name: string) => string | undefined;
  readonly now: number;
  readonly graceMs: number;
}

export interface Orphan {
  readonly volume: LocalVolume;
  /** For the log line: which claim, and what became of it. */
  readonly why: string;
}

export function orphanedVolumes(facts: OrphanFacts): Orphan[] {
  const orphans: Orphan[] = [];
  for (const lv of facts.localVolumes) {
    const why = orphanReason(lv, facts);
    if (why !== undefined) orphans.push({ volume: lv, why });
  }
  return orphans;
}

function orphanReason(lv: LocalVolume, facts: OrphanFacts): string | undefined {
  const meta = lv.metadata ?? {};
  const claim = meta.annotations?.[PVC_ANNOTATION];
  if (claim === undefined || lv.spec.snapshotOf !== undefined || meta.deletionTimestamp !== undefined) return undefined;
  if (!neverReady(lv)) return undefined;
  if (facts.pvHandles.has(meta.name ?? '')) return undefined;
  const created = Date.parse(meta.creationTimestamp ?? '');
  if (Number.isNaN(created) || facts.now - created < facts.graceMs) return undefined;
  const [namespace = '', name = ''] = claim.split('/');
  const uid = facts.claimUid(namespace, name);
  if (uid === undefined) return `claim ${claim} was deleted before a PV was made for this volume`;
  const madeFor = CLAIM_UID_SUFFIX.exec(meta.annotations?.[CSI_NAME_ANNOTATION] ?? '')?.[1];
  // Without the claim's UID in the name, the claim of that name may well be the one it was made for.
  if (madeFor === undefined || madeFor === uid) return undefined;
  return `claim ${claim} is a new claim (UID ${uid}); this volume was made for UID ${madeFor}, which was deleted before a PV was made`;
}

function neverReady(lv: LocalVolume): boolean {
  const status = lv.status ?? {};
  if (status.phase === undefined || status.phase === 'Pending') return true;
  return status.phase === 'Failed' && status.lvUUID === undefined && status.deviceIdentity === undefined;
}
