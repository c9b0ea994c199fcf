import { expect } from 'chai';
import { createExec, ExecError, NSENTER_PREFIX } from '../../../lib/exec.js';
import { isLvmNotFound } from '../../../node-agent/lvm/commands.js';

describe('lib/exec', () => {
  const exec = createExec('direct');

  it('runs an argv and returns stdout, stderr and the exit code', async () => {
    const r = await exec.run(['sh', '-c', 'echo out; echo err >&2'], { timeoutMs: 5000 });
    expect(r).to.deep.equal({ stdout: 'out\n', stderr: 'err\n', code: 0 });
  });

  it('passes arguments literally: no shell ever sees them', async () => {
    const evil = '/dev/sdb; touch /tmp/pwned $(id) `id` | cat';
    const r = await exec.run(['printf', '%s', evil], { timeoutMs: 5000 });
    expect(r.stdout).to.equal(evil);
  });

  it('feeds input and always closes stdin, so a prompt reads EOF (a "no")', async () => {
    expect((await exec.run(['cat'], { timeoutMs: 5000, input: 'hello' })).stdout).to.equal('hello');
    const r = await exec.run(['sh', '-c', 'read answer; echo "answer=[$answer] rc=$?"'], { timeoutMs: 5000, okCodes: [0, 1] });
    expect(r.stdout).to.equal('answer=[] rc=1\n');
  });

  it('throws ExecError with argv, exit code and stderr on failure', async () => {
    const err = await exec.run(['sh', '-c', 'echo "  Volume group \\"vg9\\" not found" >&2; exit 5'], { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ExecError);
    const e = err as ExecError;
    expect(e.argv).to.deep.equal(['sh', '-c', 'echo "  Volume group \\"vg9\\" not found" >&2; exit 5']);
    expect(e.code).to.equal(5);
    expect(e.stderr).to.include('not found');
    expect(e.message).to.include('exit code 5').and.to.include('Volume group "vg9" not found');
    expect(isLvmNotFound(e)).to.equal(true);
  });

  it('accepts exit codes listed in okCodes', async () => {
    expect((await exec.run(['sh', '-c', 'exit 2'], { timeoutMs: 5000, okCodes: [0, 2] })).code).to.equal(2);
  });

  it('kills a command that exceeds its timeout', async () => {
    const started = Date.now();
    const err = (await exec.run(['sleep', '30'], { timeoutMs: 200 }).catch((e: unknown) => e)) as ExecError;
    expect(Date.now() - started).to.be.lessThan(5000);
    expect(err).to.be.instanceOf(ExecError);
    expect(err).to.include({ timedOut: true, code: null, signal: 'SIGKILL' });
    expect(err.message).to.include('timed out after 200 ms');
  });

  it('reports a command that cannot start', async () => {
    const err = (await exec.run(['/nonexistent/lvm', 'vgs'], { timeoutMs: 5000 }).catch((e: unknown) => e)) as ExecError;
    expect(err).to.be.instanceOf(ExecError);
    expect(err.code).to.equal(null);
    expect(err.message).to.match(/cannot run \/nonexistent\/lvm: .*ENOENT/);
    expect(isLvmNotFound(err)).to.equal(false);
  });

  it('runs with LC_ALL=C so tool messages can be matched', async () => {
    expect((await exec.run(['sh', '-c', 'echo $LC_ALL'], { timeoutMs: 5000 })).stdout).to.equal('C\n');
  });

  it("enters PID 1's mount, UTS, IPC and network namespaces in nsenter mode (not its PID namespace)", () => {
    expect(NSENTER_PREFIX).to.deep.equal(['nsenter', '--target', '1', '--mount', '--uts', '--ipc', '--net', '--']);
    expect(createExec('nsenter').mode).to.equal('nsenter');
  });
});
