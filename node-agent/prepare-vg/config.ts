/**
 * prepare-vg's input: the node's resolved resourceToBeInited, as JSON in OPEN_LOCAL_INIT_CONFIG (the Job carries it,
 * so the pod needs no API access). It is validated with the CRD's own schema and CEL rules (VG names, /dev paths,
 * forceDevices ⊆ devices, fsType defaults) plus what the schema cannot say: paths must be normalised, because
 * `/mnt/open-local/../../etc` is an accepted pattern but not a place to mount a disk.
 */
import { posix } from 'node:path';
import type { ResourceToBeInited } from '../../api/generated/types.js';
import { API_GROUP_VERSION } from '../../api/group.js';
import { validate } from '../../api/validate.js';
import { initConfigHash } from '../../lib/storage-config.js';

export const INIT_CONFIG_ENV = 'OPEN_LOCAL_INIT_CONFIG';

export type ParsedConfig =
  | { readonly ok: true; readonly config: ResourceToBeInited; readonly hash: string }
  | { readonly ok: false; readonly hash: string; readonly errors: readonly string[] };

const normalised = (p: string): boolean => p === posix.normalize(p) && !p.endsWith('/');

export function parseInitConfig(text: string | undefined): ParsedConfig {
  if (text === undefined || text.trim() === '') return { ok: false, hash: '', errors: [`${INIT_CONFIG_ENV} is not set (the prepare-VG Job sets it to the node's resourceToBeInited)`] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, hash: '', errors: [`${INIT_CONFIG_ENV} is not JSON: ${err instanceof Error ? err.message : String(err)}`] };
  }
  // The hash is of the config as the operator wrote it (before defaults), so it equals the Job's annotation.
  const hash = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? initConfigHash(raw) : '';
  const checked = validate('NodeLocalStorage', { apiVersion: API_GROUP_VERSION, kind: 'NodeLocalStorage', metadata: { name: 'prepare-vg' }, spec: { resourceToBeInited: raw } });
  if (!checked.ok) return { ok: false, hash, errors: checked.errors.map((e) => e.replace(/^spec\.resourceToBeInited/, 'config')) };
  const config = checked.value.spec?.resourceToBeInited ?? {};
  const errors: string[] = [];
  config.vgs?.forEach((vg, i) => {
    vg.devices.forEach((d, j) => {
      if (!normalised(d)) errors.push(`config.vgs[${i}].devices[${j}]: "${d}" is not a normalised path (no ".", "..", "//" or trailing "/")`);
    });
  });
  config.mountpoints?.forEach((mp, i) => {
    if (!normalised(mp.path) || mp.path === '/') errors.push(`config.mountpoints[${i}].path: "${mp.path}" is not a normalised directory path other than /`);
    if (!normalised(mp.device) || !mp.device.startsWith('/dev/')) errors.push(`config.mountpoints[${i}].device: "${mp.device}" is not a normalised path under /dev/`);
    mp.options?.forEach((o, j) => {
      if (o.includes(',') || o.trim() === '') errors.push(`config.mountpoints[${i}].options[${j}]: "${o}" must be one non-empty mount option without commas`);
    });
  });
  return errors.length > 0 ? { ok: false, hash, errors } : { ok: true, config, hash };
}
