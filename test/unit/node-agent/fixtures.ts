// Captured LVM JSON reports (fixtures/*.json, recorded in a UML guest with real lvm2; see lvm-report.test.ts) and
// small builders for discovery data.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseLvsReport, parsePvsReport, parseVgsReport, type LvmReport } from '../../../node-agent/lvm/report.js';

export const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`fixtures/${name}`, import.meta.url)), 'utf8');
export const sysfsFixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/sysfs/${name}`, import.meta.url));

/** pool0 (open-local, 2 PVs: local-, csi-, a foreign read-only LV and a 62.79% full snapshot), data (foreign), full0. */
export const capturedReport = (): LvmReport => ({
  vgs: parseVgsReport(fixture('vgs.json')),
  pvs: parsePvsReport(fixture('pvs.json')),
  lvs: parseLvsReport(fixture('lvs.json')),
});
