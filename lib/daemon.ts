import { CliError } from './cli-error.js';
import { LOG_LEVELS, type LogLevel } from './log.js';

/** `--log-level` of any subcommand: one of LOG_LEVELS, else a CliError naming the flag. */
export function parseLogLevel(command: string, level: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new CliError(`open-local ${command}: --log-level: "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  return level as LogLevel;
}

/** A `--flag=true|false` value; anything else is a CliError naming the flag. */
export function parseBool(command: string, flag: string, value: string): boolean {
  if (value !== 'true' && value !== 'false') throw new CliError(`open-local ${command}: --${flag}: "${value}" is not true or false`);
  return value === 'true';
}

/** Resolves after SIGTERM or SIGINT, once `stop` (graceful shutdown of a daemon) has finished. */
export function runUntilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const shutdown = () => {
      void stop().then(resolve);
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
}
