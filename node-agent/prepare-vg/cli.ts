/**
 * `open-local prepare-vg`: the prepare-VG Job's command, and with `--remove` the cleanup Job's (policy
 * RemoveVolumeGroups). Config from OPEN_LOCAL_INIT_CONFIG, result (result.ts) to stdout and to the termination
 * message file, exit code per EXIT. Logs go to stderr so stdout is the result alone.
 */
import { writeFileSync } from 'node:fs';
import { CliError } from '../../lib/cli-error.js';
import { createExec, parseHostExec } from '../../lib/exec.js';
import { parseFlags } from '../../lib/flags.js';
import { createLogger, LOG_LEVELS, type Logger } from '../../lib/log.js';
import { parseLogLevel } from '../../lib/daemon.js';
import { DEFAULT_KUBELET_DIR } from '../../lib/system-paths.js';
import { acquireHostLock, DEFAULT_LOCK_FILE } from './host-lock.js';
import { DEFAULT_STATE_DIR, HOST_RECORDS_FILE } from './host-records.js';
import { Lvm } from '../lvm/commands.js';
import { INIT_CONFIG_ENV, parseInitConfig } from './config.js';
import { EXIT, formatResult, RESULT_VERSION, resultSucceeded, type PrepareVgResult } from './result.js';
import { prepareNode, removeNode } from './run.js';

export const prepareVgUsage = `Usage: open-local prepare-vg --node-name NAME [--remove] [flags]

Creates or extends this node's volume groups and mount points from $${INIT_CONFIG_ENV} (JSON resourceToBeInited).
Never touches a device with partitions, signatures, mounts or holders unless the config forces that device.
An existing volume group without the open-local tag is used as is when it already has every listed device, and is
never written to.
  --node-name NAME        this node (required)
  --remove                instead remove the config's volume groups (cleanup policy RemoveVolumeGroups): only those
                          tagged open-local and holding no logical volume; vgremove, then pvremove of each of their
                          physical volumes. Others are refused and left as they are; mount points are not touched
  --host-exec MODE        nsenter|direct: run host commands in PID 1's namespaces or directly (default nsenter)
  --sysfs DIR             the host's /sys, for disk WWNs and serials (default /sys; the Job mounts it at /host/sys)
  --kubelet-dir DIR       the kubelet's root directory: no mount point at or under it (default ${DEFAULT_KUBELET_DIR})
  --state-dir DIR         host directory of ${HOST_RECORDS_FILE}, the record of the disks prepare-vg initialised on
                          this node (default ${DEFAULT_STATE_DIR})
  --lock-file FILE        the host file locked so only one prepare-vg runs on the node (default ${DEFAULT_LOCK_FILE})
  --lock-wait SECONDS     how long to wait for another run to release it (default 120)
  --result-file FILE      also write the result there if writable (default /dev/termination-log)
  --log-level LEVEL       ${LOG_LEVELS.join('|')} (default info)
SIGTERM/SIGINT: the running step finishes, no new one starts, the result says what was not done (exit 1).
Exit codes: 0 all ready (or removed), 1 something refused or failed or the run was interrupted, 2 bad flags or
config, 3 the node could not be inspected, 4 another prepare-vg held the node's lock for the whole wait.`;

/** Prints the result and stores it as the termination message; a missing or read-only file is not an error. */
function emit(result: PrepareVgResult, file: string, log: Logger): void {
  const text = formatResult(result);
  process.stdout.write(`${text}\n`);
  try {
    writeFileSync(file, text);
  } catch (err) {
    log.debug({ err, file }, 'result file not writable; stdout only');
  }
}

export async function runPrepareVg(argv: readonly string[]): Promise<void> {
  const { values } = parseFlags('prepare-vg', argv, {
    'node-name': { type: 'string' },
    'host-exec': { type: 'string', default: 'nsenter' },
    'result-file': { type: 'string', default: '/dev/termination-log' },
    'log-level': { type: 'string', default: 'info' },
    sysfs: { type: 'string', default: '/sys' },
    'kubelet-dir': { type: 'string', default: DEFAULT_KUBELET_DIR },
    'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
    'lock-file': { type: 'string', default: DEFAULT_LOCK_FILE },
    'lock-wait': { type: 'string', default: '120' },
    remove: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(prepareVgUsage);
    return;
  }
  const node = values['node-name'];
  if (!node) throw new CliError('open-local prepare-vg: --node-name is required', EXIT.usage);
  const hostExec = parseHostExec('prepare-vg', values['host-exec']);
  const remove = values.remove;
  const log = createLogger('prepare-vg', parseLogLevel('prepare-vg', values['log-level']), process.stderr).child({ node, ...(remove ? { mode: 'remove' } : {}) });
  const file = values['result-file'];
  const empty = { version: RESULT_VERSION, node, volumeGroups: [], mountPoints: [] } as const;

  const parsed = parseInitConfig(process.env[INIT_CONFIG_ENV]);
  if (!parsed.ok) {
    const error = `invalid ${INIT_CONFIG_ENV}: ${parsed.errors.join('; ')}`;
    emit({ ...empty, configHash: parsed.hash, error }, file, log);
    throw new CliError(`open-local prepare-vg: ${error}`, EXIT.usage);
  }
  const lockWait = Number(values['lock-wait']);
  if (!/^\d+$/.test(values['lock-wait']) || !Number.isSafeInteger(lockWait)) throw new CliError(`open-local prepare-vg: --lock-wait must be a whole number of seconds, not "${values['lock-wait']}"`, EXIT.usage);
  const kubeletDir = values['kubelet-dir'];
  const stateDir = values['state-dir'];
  for (const [flag, dir] of [['--kubelet-dir', kubeletDir], ['--state-dir', stateDir]] as const) {
    if (!dir.startsWith('/')) throw new CliError(`open-local prepare-vg: ${flag} must be an absolute path, not "${dir}"`, EXIT.usage);
  }

  // From here on a signal stops the run between steps instead of killing it in the middle of one (see run.ts).
  const abort = new AbortController();
  let stop: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop !== undefined) return;
    stop = `interrupted by ${signal}`;
    log.warn({ signal }, 'interrupted: finishing the running step, starting no other');
    abort.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const exec = createExec(hostExec, { log });
  let result: PrepareVgResult;
  // A config that asks nothing of this mode touches nothing on the node (not even the lock: a node without LVM or
  // util-linux tools is fine then).
  const work = (parsed.config.vgs ?? []).length > 0 || (!remove && (parsed.config.mountpoints ?? []).length > 0);
  try {
    const lockFile = values['lock-file'];
    let lock: Awaited<ReturnType<typeof acquireHostLock>>;
    try {
      lock = work ? await acquireHostLock(exec, lockFile, lockWait, abort.signal) : { held: { release: () => Promise.resolve() } };
    } catch (err) {
      const error = `cannot take the node's prepare-vg lock: ${err instanceof Error ? err.message : String(err)}`;
      emit({ ...empty, configHash: parsed.hash, error }, file, log);
      throw new CliError(`open-local prepare-vg: ${error}`, EXIT.inspectFailed);
    }
    if ('interrupted' in lock || 'busy' in lock) {
      const error = 'busy' in lock ? lock.busy : `${stop ?? 'interrupted'} while waiting for the node's prepare-vg lock ${lockFile}; nothing was done`;
      log.warn({ lockFile }, error);
      emit({ ...empty, configHash: parsed.hash, error }, file, log);
      throw new CliError(`open-local prepare-vg: ${error}`, 'busy' in lock ? EXIT.busy : EXIT.refusedOrFailed);
    }
    log.debug({ lockFile }, 'holding the node\'s prepare-vg lock');
    try {
      const options = { node, configHash: parsed.hash, exec, lvm: new Lvm(exec), log, sysfs: values.sysfs, kubeletDir, stateDir, stopped: () => stop };
      result = remove ? await removeNode(parsed.config, options) : await prepareNode(parsed.config, options);
    } catch (err) {
      const error = `cannot inspect the node: ${err instanceof Error ? err.message : String(err)}`;
      log.error({ err }, error);
      emit({ ...empty, configHash: parsed.hash, error }, file, log);
      throw new CliError(`open-local prepare-vg: ${error}`, EXIT.inspectFailed);
    } finally {
      await lock.held.release();
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  emit(result, file, log);
  if (!resultSucceeded(result)) {
    const bad = [...result.volumeGroups.filter((v) => v.state === 'Refused' || v.state === 'Failed').map((v) => `volume group ${v.name} ${v.state}`), ...result.mountPoints.filter((m) => m.state === 'Refused' || m.state === 'Failed').map((m) => `mount point ${m.path} ${m.state}`)];
    throw new CliError(`open-local prepare-vg: ${bad.join(', ')} (see the result for why)`, EXIT.refusedOrFailed);
  }
}
