/**
 * The one way open-local runs host commands (lvm, wipefs, mkfs, mount, ...). Commands are argv arrays handed to
 * spawn, never a shell string, so a device path or VG name from a spec can never become shell syntax.
 *
 * In a pod the agent and prepare-vg run the command in the host's namespaces (`nsenter --target 1`): LVM then
 * sees the host's /dev, /etc/lvm and locks, and a mount lands in the host's mount table instead of vanishing with
 * the container. Tests and the UML guest use `direct`.
 */
import { spawn } from 'node:child_process';
import { CliError } from './cli-error.js';
import type { Logger } from './log.js';

export const HOST_EXEC_MODES = ['direct', 'nsenter'] as const;
export type HostExecMode = (typeof HOST_EXEC_MODES)[number];

/** The --host-exec flag of `command` (agent, prepare-vg). */
export function parseHostExec(command: string, mode: string): HostExecMode {
  if (!(HOST_EXEC_MODES as readonly string[]).includes(mode)) throw new CliError(`open-local ${command}: --host-exec: "${mode}" is not one of ${HOST_EXEC_MODES.join(', ')}`);
  return mode as HostExecMode;
}

/** PID 1's mount, UTS, IPC and network namespaces; not its PID namespace (nsenter would fork and outlive a kill). */
export const NSENTER_PREFIX: readonly string[] = ['nsenter', '--target', '1', '--mount', '--uts', '--ipc', '--net', '--'];

/** Output beyond this is a failure: no report of ours is anywhere near it, and memory stays bounded. */
const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

export interface RunOptions {
  /** The process (and with it the command) is killed with SIGKILL after this long. */
  readonly timeoutMs: number;
  /** Written to stdin. stdin is always closed, so a tool that asks "Wipe it? [y/n]" reads EOF and says no. */
  readonly input?: string;
  /** Exit codes that are answers rather than failures (`realpath -e`: 1 = missing). @default [0] */
  readonly okCodes?: readonly number[];
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** A command that could not start, timed out, was killed or exited with a code not in `okCodes`. */
export class ExecError extends Error {
  /** The command as asked for, without the nsenter prefix. */
  readonly argv: readonly string[];
  /** Exit code; null when it never started or was killed. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;

  constructor(argv: readonly string[], detail: { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean; why: string }, cause?: unknown) {
    const tail = detail.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 500);
    super(`${argv.join(' ')}: ${detail.why}${tail ? `: ${tail}` : ''}`, cause === undefined ? undefined : { cause });
    this.name = 'ExecError';
    this.argv = argv;
    this.code = detail.code;
    this.signal = detail.signal;
    this.stdout = detail.stdout;
    this.stderr = detail.stderr;
    this.timedOut = detail.timedOut;
  }
}

export interface Exec {
  readonly mode: HostExecMode;
  run(argv: readonly string[], options: RunOptions): Promise<RunResult>;
}

export interface ExecOptions {
  /** Logs every command at debug level with its duration and exit code. */
  readonly log?: Logger;
}

/**
 * An Exec for `mode`. The environment is the process's plus LC_ALL=C (tool messages stay English, so helpers such
 * as isLvmNotFound can read them) and LVM_SUPPRESS_FD_WARNINGS (Node's inherited descriptors are not leaks).
 */
export function createExec(mode: HostExecMode, options: ExecOptions = {}): Exec {
  const env = { ...process.env, LC_ALL: 'C', LVM_SUPPRESS_FD_WARNINGS: '1' };
  return {
    mode,
    run: (argv, runOptions) => runCommand(mode === 'nsenter' ? [...NSENTER_PREFIX, ...argv] : argv, argv, runOptions, env, options.log),
  };
}

function runCommand(full: readonly string[], argv: readonly string[], options: RunOptions, env: NodeJS.ProcessEnv, log: Logger | undefined): Promise<RunResult> {
  const [command, ...args] = full;
  if (command === undefined || command === '') return Promise.reject(new Error('exec: empty argv'));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let overflow = false;
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) {
        overflow = true;
        kill();
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    // A command that exits without reading its stdin makes the write fail with EPIPE: that is not our failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    child.on('error', (cause) => {
      clearTimeout(timer);
      reject(new ExecError(argv, { code: null, signal: null, stdout: '', stderr: '', timedOut: false, why: `cannot run ${command}: ${cause.message}` }, cause));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      log?.debug({ argv, code, signal, ms: Date.now() - started }, 'ran host command');
      const ok = options.okCodes ?? [0];
      if (code !== null && !timedOut && !overflow && ok.includes(code)) {
        resolve({ stdout, stderr, code });
        return;
      }
      const why = timedOut
        ? `timed out after ${options.timeoutMs} ms`
        : overflow
          ? `output exceeded ${MAX_OUTPUT_BYTES} bytes`
          : code === null
            ? `killed by ${signal ?? 'a signal'}`
            : `exit code ${code}`;
      reject(new ExecError(argv, { code, signal, stdout, stderr, timedOut, why }));
    });
  });
}
