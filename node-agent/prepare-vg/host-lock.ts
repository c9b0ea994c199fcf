/**
 * One prepare-vg at a time per node: an exclusive flock(2) on a file under the host's /run, held for as long as this
 * process lives. Node has no flock(2), so util-linux `flock` holds it, started through the same host-exec channel as
 * every other command (nsenter into the host's mount namespace in a pod, so two Jobs' pods share the lock file):
 * `flock -x -w WAIT FILE cat`. Once it holds the lock it runs `cat`, which echoes the byte we wrote, and that is how we
 * learn the lock is ours. The lock lives until `cat` reads end-of-file: when we release it, or when this process dies
 * in any way (the kernel closes our end of the pipe), so it can never outlive us.
 */
import { spawn } from 'node:child_process';
import { posix } from 'node:path';
import { NSENTER_PREFIX, type Exec } from '../../lib/exec.js';

export const DEFAULT_LOCK_FILE = '/run/open-local/prepare-vg.lock';
/** flock's exit code when the wait ran out (-E). */
const CONFLICT_EXIT = 75;

export interface HostLock {
  release(): Promise<void>;
}

export type LockOutcome = { readonly held: HostLock } | { readonly busy: string } | { readonly interrupted: true };

export async function acquireHostLock(exec: Exec, file: string, waitSeconds: number, abort: AbortSignal): Promise<LockOutcome> {
  await exec.run(['mkdir', '-p', '--', posix.dirname(file)], { timeoutMs: 30_000 });
  const argv = ['flock', '--exclusive', '--wait', String(waitSeconds), '--conflict-exit-code', String(CONFLICT_EXIT), '--', file, 'cat'];
  const [command, ...args] = exec.mode === 'nsenter' ? [...NSENTER_PREFIX, ...argv] : argv;
  const child = spawn(command ?? 'flock', args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  child.stdin.on('error', () => undefined);
  child.stdin.write('x');
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      resolve(code);
    });
  });
  const release = async () => {
    child.stdin.end();
    await exited;
  };
  return new Promise<LockOutcome>((resolve, reject) => {
    const onAbort = () => {
      child.kill('SIGKILL');
      resolve({ interrupted: true });
    };
    abort.addEventListener('abort', onAbort, { once: true });
    child.stdout.once('data', () => {
      abort.removeEventListener('abort', onAbort);
      resolve({ held: { release } });
    });
    child.on('error', (err) => {
      reject(new Error(`cannot run flock for the node's prepare-vg lock ${file}: ${err.message}`));
    });
    void exited.then((code) => {
      abort.removeEventListener('abort', onAbort);
      if (abort.aborted) return;
      if (code === CONFLICT_EXIT) resolve({ busy: `another prepare-vg run held the node's lock ${file} for all of ${waitSeconds} s; nothing was done` });
      else reject(new Error(`flock on ${file} exited with ${String(code)}: ${stderr.trim()}`));
    });
  });
}
