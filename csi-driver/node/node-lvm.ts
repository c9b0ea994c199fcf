/**
 * The LVM commands of the node service: look an LV up (for identity, size and liveness) and the inline volumes'
 * LVs, created on publish and removed on unpublish. An inline LV carries EPHEMERAL_TAG, and is removed only when
 * the LV found under its name still has the UUID recorded when it was created: an LV someone else made under that
 * name later is never removed.
 */
import type { Exec } from '../../lib/exec.js';
import { readLv, type LvFacts } from './volumes/lvm-facts.js';

export const EPHEMERAL_TAG = 'open-local.csi.ephemeral';

const TIMEOUT_MS = 120_000;

export function lvcreateEphemeralArgv(vg: string, lv: string, bytes: number): string[] {
  // -W y wipes a stale signature at the LV's start, left in freed extents by an earlier LV; the LV is brand new.
  return ['lvm', 'lvcreate', '--name', lv, '--size', `${bytes}b`, '--addtag', EPHEMERAL_TAG, '-W', 'y', '--yes', vg];
}

export function lvremoveByUuidArgv(vg: string, uuid: string): string[] {
  return ['lvm', 'lvremove', '--yes', '--select', `lv_uuid=${uuid}`, vg];
}

export class NodeLvm {
  private readonly exec: Exec;

  constructor(exec: Exec) {
    this.exec = exec;
  }

  /** The LV, or undefined when it (or its VG) does not exist. */
  async find(vg: string, lv: string): Promise<LvFacts | undefined> {
    return readLv(this.exec, vg, lv);
  }

  async createEphemeral(vg: string, lv: string, bytes: number): Promise<LvFacts> {
    await this.exec.run(lvcreateEphemeralArgv(vg, lv, bytes), { timeoutMs: TIMEOUT_MS });
    const made = await this.find(vg, lv);
    if (!made) throw new Error(`lvcreate reported success but ${vg}/${lv} is not there`);
    return made;
  }

  /** Removes vg/lv if it is still the inline LV with `uuid`; true when removed, false when already gone. */
  async removeEphemeral(vg: string, lv: string, uuid: string): Promise<boolean> {
    const found = await this.find(vg, lv);
    if (!found) return false;
    if (found.uuid !== uuid || !found.tags.includes(EPHEMERAL_TAG)) {
      throw new Error(`${vg}/${lv} is not the inline volume recorded (UUID ${found.uuid}, tags ${found.tags.join(',') || 'none'}; recorded UUID ${uuid}); it is left alone`);
    }
    // Selected by UUID, not by name: whatever the name points to by now, only the recorded LV can go.
    await this.exec.run(lvremoveByUuidArgv(vg, uuid), { timeoutMs: TIMEOUT_MS });
    return true;
  }
}
