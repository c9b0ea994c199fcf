import { pino, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * One JSON logger per process; components add context with `.child({ node })` etc. Byte counts are logged as
 * strings by callers (BigInt/float precision). `LOG_PRETTY=1` pretty-prints for humans.
 */
export function createLogger(component: string, level: LogLevel = 'info', destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { component },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: ['*.token', '*.authorization', '*.headers.authorization'],
  };
  if (destination) return pino(options, destination);
  if (process.env.LOG_PRETTY === '1') return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss' } } });
  return pino(options);
}
