import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './cli-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `--flag=value` style arguments strictly: an unknown or malformed flag is a CliError naming it. */
export function parseFlags<O extends Options>(command: string, argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new CliError(`open-local ${command}: ${message}\nRun \`open-local ${command} --help\` for the flags.`);
  }
}
