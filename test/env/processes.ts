// Child processes the test harness starts (etcd, kube-apiserver, ...), with their output in a log
// file, a stop that escalates SIGTERM -> SIGKILL, and a process-exit hook so that a failing or
// interrupted test run leaves no process or temp dir behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync, rmSync } from 'node:fs';

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** Exit status once exited, else undefined. */
  exitInfo(): ExitInfo | undefined;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves after the exit. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /** Sends a signal (to the whole group with `processGroup`). */
  kill(signal: NodeJS.Signals): void;
}

export interface StartProcessOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** stdout and stderr are appended here. */
  readonly logPath: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /**
   * Run in a process group of its own and signal the whole group (for programs that fork helpers,
   * like linux.uml). @default false
   */
  readonly processGroup?: boolean;
}

const live = new Map<ChildProcess, (signal: NodeJS.Signals) => void>();
const dirs = new Set<string>();
const hooks = new Set<() => void>();
let hooked = false;

/** Kills every live child and removes registered dirs, synchronously (usable in 'exit'). */
export function cleanupSync(): void {
  for (const kill of live.values()) kill('SIGKILL');
  live.clear();
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      // best effort: the process is going away
    }
  }
  hooks.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/**
 * Runs `fn` (synchronously) if the process exits or is signalled before the returned
 * function is called to unregister it.
 */
export function registerExitHook(fn: () => void): () => void {
  hookExit();
  hooks.add(fn);
  return () => {
    hooks.delete(fn);
  };
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupSync();
  // If nobody else handles the signal, die of it as we would have without this hook.
  if (process.listenerCount(signal) === 1) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanupSync);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
}

/** Removes `dir` when the process exits unless unregistered first. */
export function registerTempDir(dir: string): void {
  hookExit();
  dirs.add(dir);
}

export function unregisterTempDir(dir: string): void {
  dirs.delete(dir);
}

/** Last `lines` lines of a text. */
export function tailText(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Last `lines` lines of a log file ('' if unreadable). */
export function tailFile(path: string, lines = 30): string {
  try {
    return tailText(readFileSync(path, 'utf8'), lines);
  } catch {
    return '';
  }
}

export function startProcess(opts: StartProcessOptions): ManagedProcess {
  hookExit();
  const fd = openSync(opts.logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(opts.command, [...opts.args], {
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      detached: opts.processGroup ?? false,
    });
  } finally {
    closeSync(fd);
  }
  let info: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      info = { code, signal };
      live.delete(child);
      resolve(info);
    });
    child.once('error', (err) => {
      // spawn failure (ENOENT, EACCES): report it as an exit
      info = { code: 127, signal: null };
      live.delete(child);
      appendFileSync(opts.logPath, `${opts.name}: cannot start ${opts.command}: ${err.message}\n`);
      resolve(info);
    });
  });
  const pid = child.pid ?? -1;
  const kill = (signal: NodeJS.Signals): void => {
    try {
      if (opts.processGroup && pid > 0) process.kill(-pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  };
  if (child.pid !== undefined) live.set(child, kill);
  return {
    name: opts.name,
    pid,
    logPath: opts.logPath,
    exited,
    exitInfo: () => info,
    kill,
    async stop(timeoutMs = 10_000): Promise<ExitInfo> {
      if (info) {
        if (opts.processGroup) kill('SIGKILL'); // leftover helpers of the group
        return info;
      }
      kill('SIGTERM');
      const timer = setTimeout(() => {
        kill('SIGKILL');
      }, timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** True if a process with this pid exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
