// `open-local prepare-vg` is alone on its node and stops cleanly on SIGTERM: the real CLI, real util-linux flock on a
// lock file, and real LVM commands held up deterministically by holding LVM's own global lock (a private
// LVM_SYSTEM_DIR whose lvm.conf points locking_dir into a temp dir and filters out every device, so nothing on this
// machine is read or written). No disk is needed: the configured devices do not exist and are refused.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseResult, type PrepareVgResult } from '../../../node-agent/prepare-vg/result.js';
import { waitFor } from '../../env/net.js';

const tmp = mkdtempSync(join(tmpdir(), 'open-local-prepare-vg-lock-'));
const lvmDir = join(tmp, 'lvm');
const lvmLocks = join(lvmDir, 'locks');
const lockFile = join(tmp, 'run', 'prepare-vg.lock');
const CONFIG = JSON.stringify({ vgs: [{ name: 'pool-a', devices: ['/dev/disk/by-id/open-local-test-missing-a'] }, { name: 'pool-b', devices: ['/dev/disk/by-id/open-local-test-missing-b'] }] });

/** An exclusive flock held by a `flock FILE cat` process until release(). */
async function hold(file: string): Promise<{ release: () => Promise<void> }> {
  const p = spawn('flock', ['--exclusive', file, 'cat']);
  const closed = new Promise<void>((resolve) => {
    p.on('close', () => {
      resolve();
    });
  });
  p.stdin.write('x');
  await new Promise<void>((resolve) => p.stdout.once('data', () => {
    resolve();
  }));
  return {
    release: async () => {
      p.stdin.end();
      await closed;
    },
  };
}

interface Run {
  readonly child: ChildProcessWithoutNullStreams;
  readonly resultFile: string;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function start(name: string, lockWait: number): Run {
  const resultFile = join(tmp, `${name}.result`);
  const child = spawn(process.execPath, ['bin/open-local.js', 'prepare-vg', '--node-name=n', '--host-exec=direct', `--result-file=${resultFile}`, `--lock-file=${lockFile}`, `--lock-wait=${lockWait}`, `--state-dir=${join(tmp, 'state')}`], {
    env: { ...process.env, OPEN_LOCAL_INIT_CONFIG: CONFIG, LVM_SYSTEM_DIR: lvmDir },
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  child.stdout.resume();
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => {
      resolve({ code, signal, stderr });
    });
  });
  return { child, resultFile, done };
}

function result(run: Run): PrepareVgResult {
  const r = parseResult(readFileSync(run.resultFile, 'utf8'));
  if ('invalid' in r) throw new Error(r.invalid);
  return r;
}

/** True once `parent` has a child process named `name` (from /proc/<pid>/stat: "pid (comm) state ppid ..."). */
const hasChild = (parent: number | undefined, name: string) => (): Promise<boolean> =>
  Promise.resolve(
    readdirSync('/proc').some((pid) => {
      if (!/^\d+$/.test(pid)) return false;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        return false;
      }
      const close = stat.lastIndexOf(')');
      return stat.slice(stat.indexOf('(') + 1, close) === name && stat.slice(close + 2).split(' ')[1] === String(parent);
    }),
  );

describe('prepare-vg: one run per node (host flock) and SIGTERM', function () {
  this.timeout(120_000);
  before(() => {
    mkdirSync(lvmLocks, { recursive: true });
    writeFileSync(join(lvmDir, 'lvm.conf'), `global {\n  locking_dir = "${lvmLocks}"\n}\ndevices {\n  filter = [ "r|.*|" ]\n}\n`);
  });
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a second run waits for the lock; with a wait that runs out it does nothing and exits 4', async () => {
    mkdirSync(join(tmp, 'run'), { recursive: true });
    const other = await hold(lockFile);
    const waiting = start('waiting', 600);
    try {
      await waitFor('the waiting run to start flock', hasChild(waiting.child.pid, 'flock'), { timeoutMs: 60_000, intervalMs: 50 });
      const busy = await start('busy', 1).done;
      expect(busy.code, busy.stderr).to.equal(4);
      expect(busy.stderr).to.include("another prepare-vg run held the node's lock");
      expect(result({ resultFile: join(tmp, 'busy.result') } as Run)).to.deep.include({ volumeGroups: [], mountPoints: [], error: `another prepare-vg run held the node's lock ${lockFile} for all of 1 s; nothing was done` });
      // Still waiting: it has written no result while the other run holds the lock.
      expect(existsSync(waiting.resultFile)).to.equal(false);
    } finally {
      await other.release();
    }
    const after = await waiting.done;
    expect(after.code, after.stderr).to.equal(1);
    expect(result(waiting).volumeGroups.map((v) => [v.name, v.state])).to.deep.equal([['pool-a', 'Refused'], ['pool-b', 'Refused']]);
  });

  it('SIGTERM while waiting for the lock: exits 1 at once, reports that nothing was done', async () => {
    const other = await hold(lockFile);
    try {
      const run = start('term-waiting', 600);
      await waitFor('the run to wait on flock', hasChild(run.child.pid, 'flock'), { timeoutMs: 60_000, intervalMs: 50 });
      run.child.kill('SIGTERM');
      const end = await run.done;
      expect(end.code, end.stderr).to.equal(1);
      expect(result(run).error).to.equal(`interrupted by SIGTERM while waiting for the node's prepare-vg lock ${lockFile}; nothing was done`);
    } finally {
      await other.release();
    }
  });

  it('SIGTERM during an LVM command: the command finishes, no further step starts, the result says so, the lock is freed', async () => {
    const lvmGlobal = await hold(join(lvmLocks, 'P_global'));
    let run: Run;
    try {
      run = start('term-running', 600);
      // The run holds the node lock and its first LVM command (the report) is blocked on LVM's global lock.
      await waitFor('the run to be inside an LVM command', hasChild(run.child.pid, 'lvm'), { timeoutMs: 60_000, intervalMs: 50 });
      run.child.kill('SIGTERM');
      const early = await start('during-term', 0).done;
      expect(early.code, 'the interrupted run still holds the node lock').to.equal(4);
    } finally {
      await lvmGlobal.release();
    }
    const end = await run.done;
    expect(end.code, end.stderr).to.equal(1);
    expect(end.signal).to.equal(null);
    const r = result(run);
    expect(r.error).to.equal(undefined);
    expect(r.volumeGroups).to.deep.equal([
      { name: 'pool-a', state: 'Failed', devices: [], message: 'interrupted by SIGTERM before this step started; nothing was done' },
      { name: 'pool-b', state: 'Failed', devices: [], message: 'interrupted by SIGTERM before this step started; nothing was done' },
    ]);
    const next = await start('after-term', 0).done;
    expect(next.code, `the lock is free again: ${next.stderr}`).to.equal(1);
  });

  it('a run killed with SIGKILL frees the lock (flock cannot outlive it)', async () => {
    const lvmGlobal = await hold(join(lvmLocks, 'P_global'));
    try {
      const run = start('killed', 600);
      await waitFor('the run to be inside an LVM command', hasChild(run.child.pid, 'lvm'), { timeoutMs: 60_000, intervalMs: 50 });
      run.child.kill('SIGKILL');
      await run.done;
      const next = start('after-kill', 600);
      await waitFor('the next run to reach LVM (it got the lock)', hasChild(next.child.pid, 'lvm'), { timeoutMs: 60_000, intervalMs: 50 });
      await lvmGlobal.release();
      expect((await next.done).code).to.equal(1);
    } finally {
      await lvmGlobal.release();
    }
  });
});
