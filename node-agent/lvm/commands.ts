/**
 * The LVM commands open-local runs, as argv through the one exec layer. Parsing lives in report.ts; this file only
 * builds command lines and knows LVM's exit codes.
 */
import { ExecError, type Exec } from '../../lib/exec.js';
import { LV_FIELDS, PV_FIELDS, REPORT_FLAGS, VG_FIELDS, parseLvsReport, parsePvsReport, parseVgsReport, type LvmReport } from './report.js';

/**
 * The tag prepare-vg puts on every VG it creates. A VG is open-local's only if it carries this tag: a VG of the
 * same name without it belongs to someone else and is never touched.
 */
export const OPEN_LOCAL_TAG = 'open-local';

/** Reports read metadata only; a minute means LVM is stuck on a lock or a dead device. */
const REPORT_TIMEOUT_MS = 60_000;
/** pvcreate/vgcreate/vgextend/lvextend write a few metadata blocks; allow slow disks. */
const CHANGE_TIMEOUT_MS = 120_000;

/** What discovery needs from LVM: tests inject captured reports instead of running lvm. */
export interface LvmReader {
  report(): Promise<LvmReport>;
}

/** What snapshot auto-extension needs. */
export interface LvExtender {
  /** Grows vg/lv by `bytes` (LVM rounds up to whole extents). */
  extendBy(vg: string, lv: string, bytes: number): Promise<void>;
}

export class Lvm implements LvmReader, LvExtender {
  private readonly exec: Exec;

  constructor(exec: Exec) {
    this.exec = exec;
  }

  async report(): Promise<LvmReport> {
    const run = async (command: string, fields: string) =>
      (await this.exec.run(['lvm', command, ...REPORT_FLAGS, '-o', fields], { timeoutMs: REPORT_TIMEOUT_MS })).stdout;
    // One after the other: LVM serialises on its global lock anyway, and the VG list must not be newer than the LVs.
    const vgs = parseVgsReport(await run('vgs', VG_FIELDS));
    const pvs = parsePvsReport(await run('pvs', PV_FIELDS));
    const lvs = parseLvsReport(await run('lvs', LV_FIELDS));
    return { vgs, pvs, lvs };
  }

  /** Without --yes: if LVM finds a signature it asks, reads EOF on stdin and refuses — a last safety net. */
  async pvcreate(device: string): Promise<void> {
    await this.exec.run(['lvm', 'pvcreate', device], { timeoutMs: CHANGE_TIMEOUT_MS });
  }

  /**
   * Wipes the LVM label of a PV in no VG: one this run created (rollback), or one of a VG `--remove` just removed.
   * Without --force: LVM refuses a PV that still belongs to a VG.
   */
  async pvremove(device: string): Promise<void> {
    await this.exec.run(['lvm', 'pvremove', device], { timeoutMs: CHANGE_TIMEOUT_MS });
  }

  /** Adds tags to a PV of a VG (prepare-vg's records, records.ts); a tag it already has is left as is. */
  async addPvTags(device: string, tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    await this.exec.run(['lvm', 'pvchange', ...tags.flatMap((t) => ['--addtag', t]), device], { timeoutMs: CHANGE_TIMEOUT_MS });
  }

  async vgcreate(name: string, devices: readonly string[]): Promise<void> {
    await this.exec.run(['lvm', 'vgcreate', '--addtag', OPEN_LOCAL_TAG, name, ...devices], { timeoutMs: CHANGE_TIMEOUT_MS });
  }

  /**
   * Removes a VG that holds no LV (the caller checked). Without --force/--yes: should the VG hold an LV after all
   * (created since the check), LVM asks "Do you really want to remove volume group ... containing N logical
   * volumes?", reads EOF on stdin, answers no and exits 5, removing nothing — a last safety net, as for pvcreate.
   */
  async vgremove(name: string): Promise<void> {
    await this.exec.run(['lvm', 'vgremove', name], { timeoutMs: CHANGE_TIMEOUT_MS });
  }

  async vgextend(name: string, devices: readonly string[]): Promise<void> {
    await this.exec.run(['lvm', 'vgextend', name, ...devices], { timeoutMs: CHANGE_TIMEOUT_MS });
  }

  async extendBy(vg: string, lv: string, bytes: number): Promise<void> {
    await this.exec.run(['lvm', 'lvextend', '--size', `+${bytes}b`, `${vg}/${lv}`], { timeoutMs: CHANGE_TIMEOUT_MS });
  }
}

/**
 * True when LVM failed because the named VG/LV/PV does not exist (exit code 5 with "not found" / "Failed to find"),
 * as TopoLVM's IsLVMNotFound.
 */
export function isLvmNotFound(err: unknown): boolean {
  return err instanceof ExecError && err.code === 5 && /not found|Failed to find|Cannot find/i.test(err.stderr);
}
