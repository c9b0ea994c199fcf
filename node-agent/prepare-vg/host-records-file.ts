/**
 * Reads and writes prepare-vg's record file on the host (host-records.ts) through the host-exec channel, so in a pod
 * it is the host's file (nsenter), not the container's. The write is atomic: the whole text to FILE.tmp, then a rename.
 */
import { posix } from 'node:path';
import type { Exec } from '../../lib/exec.js';
import { formatHostRecords, HOST_RECORDS_FILE, parseHostRecords, type HostRecords } from './host-records.js';

const TIMEOUT_MS = 30_000;

export const hostRecordsPath = (stateDir: string): string => posix.join(stateDir, HOST_RECORDS_FILE);

/** The records; none when the file does not exist yet. Throws on an unreadable or malformed file. */
export async function readHostRecords(exec: Exec, stateDir: string): Promise<HostRecords> {
  const file = hostRecordsPath(stateDir);
  const r = await exec.run(['cat', '--', file], { timeoutMs: TIMEOUT_MS, okCodes: [0, 1] });
  if (r.code === 1) {
    if (/No such file or directory/.test(r.stderr)) return new Map();
    throw new Error(`cannot read ${file}: ${r.stderr.trim()}`);
  }
  try {
    return parseHostRecords(r.stdout);
  } catch (err) {
    throw new Error(`${file} ${err instanceof Error ? err.message : String(err)}; fix or move it away (it is prepare-vg's record of the disks it initialised on this node)`, { cause: err });
  }
}

export async function writeHostRecords(exec: Exec, stateDir: string, records: HostRecords): Promise<void> {
  const file = hostRecordsPath(stateDir);
  await exec.run(['mkdir', '-p', '--', stateDir], { timeoutMs: TIMEOUT_MS });
  await exec.run(['tee', '--', `${file}.tmp`], { timeoutMs: TIMEOUT_MS, input: formatHostRecords(records) });
  // On disk before the rename, so a power loss cannot leave the new name on an empty file.
  await exec.run(['sync', '--', `${file}.tmp`], { timeoutMs: TIMEOUT_MS });
  await exec.run(['mv', '-f', '--', `${file}.tmp`, file], { timeoutMs: TIMEOUT_MS });
}
