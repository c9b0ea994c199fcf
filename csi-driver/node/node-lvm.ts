/**
 * The LVM commands of the node service: look an LV up (for identity, size and liveness) and the inline volumes'
 * LVs, created on publish and removed on unpublish. An inline LV carries EPHEMERAL_TAG, and is removed only when
 * the LV found under its name still has the UUID recorded when it was created: an LV someone else made under that
 * name later is never removed.
 */
import type { Exec } from '../../lib/exec.js';
import { isLvmNotFound } from '../../node-agent/lvm/commands.js';

export const EPHEMERAL_TAG = 'open-local.csi.ephemeral';

const REPORT = ['--reportformat', 'json', '--units', 'b', '--nosuffix'];
const FIELDS = 'lv_name,vg_name,lv_uuid,lv_size,lv_tags,lv_attr';
const TIMEOUT_MS = 120_000;

export interface LvInfo {
  readonly name: string;
  readonly vg: string;
  readonly uuid: string;
  readonly size: number;
  readonly tags: readonly string[];
  readonly attr: string;
}

export function parseLvInfo(json: string): LvInfo[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`lvs output is not JSON: ${json.slice(0, 200)}`);
  }
  const report = (parsed as { report?: unknown } | null)?.report;
  if (!Array.isArray(report)) throw new Error('lvs output has no "report" array');
  return (report as { lv?: Record<string, unknown>[] }[]).flatMap((r) => r.lv ?? []).map((row) => {
    const str = (k: string) => (typeof row[k] === 'string' ? row[k] : '');
    const size = str('lv_size');
    if (!/^\d+$/.test(size)) throw new Error(`lvs: lv_size "${size}" of ${str('vg_name')}/${str('lv_name')} is not a byte count`);
    return { name: str('lv_name'), vg: str('vg_name'), uuid: str('lv_uuid'), size: Number(size), tags: str('lv_tags').split(',').filter((t) => t !== ''), attr: str('lv_attr') };
  });
}

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
  async find(vg: string, lv: string): Promise<LvInfo | undefined> {
    try {
      const { stdout } = await this.exec.run(['lvm', 'lvs', ...REPORT, '-o', FIELDS, '--', `${vg}/${lv}`], { timeoutMs: TIMEOUT_MS });
      return parseLvInfo(stdout).find((l) => l.name === lv && l.vg === vg);
    } catch (err) {
      if (isLvmNotFound(err)) return undefined;
      throw err;
    }
  }

  async createEphemeral(vg: string, lv: string, bytes: number): Promise<LvInfo> {
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
