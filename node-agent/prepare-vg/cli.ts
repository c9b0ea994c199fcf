/**
 * `open-local prepare-vg`: the prepare-VG Job's command, and with `--remove` the cleanup Job's (policy
 * RemoveVolumeGroups). Config from OPEN_LOCAL_INIT_CONFIG, result (result.ts) to stdout and to the termination
 * message file, exit code per EXIT. Logs go to stderr so stdout is the result alone.
 */
import { writeFileSync } from 'node:fs';
import { CliError } from '../../lib/cli-error.js';
import { createExec } from '../../lib/exec.js';
import { parseFlags } from '../../lib/flags.js';
import { createLogger, LOG_LEVELS, type Logger } from '../../lib/log.js';
import { parseLogLevel } from '../../lib/daemon.js';
import { parseHostExec } from '../cli.js';
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
  --result-file FILE      also write the result there if writable (default /dev/termination-log)
  --log-level LEVEL       ${LOG_LEVELS.join('|')} (default info)
Exit codes: 0 all ready (or removed), 1 something refused or failed, 2 bad flags or config, 3 the node could not be
inspected.`;

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
  const exec = createExec(hostExec, { log });
  let result: PrepareVgResult;
  try {
    const options = { node, configHash: parsed.hash, exec, lvm: new Lvm(exec), log };
    result = remove ? await removeNode(parsed.config, options) : await prepareNode(parsed.config, options);
  } catch (err) {
    const error = `cannot inspect the node: ${err instanceof Error ? err.message : String(err)}`;
    log.error({ err }, error);
    emit({ ...empty, configHash: parsed.hash, error }, file, log);
    throw new CliError(`open-local prepare-vg: ${error}`, EXIT.inspectFailed);
  }
  emit(result, file, log);
  if (!resultSucceeded(result)) {
    const bad = [...result.volumeGroups.filter((v) => v.state === 'Refused' || v.state === 'Failed').map((v) => `volume group ${v.name} ${v.state}`), ...result.mountPoints.filter((m) => m.state === 'Refused' || m.state === 'Failed').map((m) => `mount point ${m.path} ${m.state}`)];
    throw new CliError(`open-local prepare-vg: ${bad.join(', ')} (see the result for why)`, EXIT.refusedOrFailed);
  }
}
