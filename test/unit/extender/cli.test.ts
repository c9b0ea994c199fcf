import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../../fixtures/examples.js';

/** Runs `open-local extender ARGS`; resolves with the exit code and stderr. */
function extender(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'bin', 'open-local.js'), 'extender', ...args], { cwd: repoRoot, env: { ...process.env, KUBECONFIG: '' } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

describe('open-local extender (CLI)', function () {
  this.timeout(60_000);
  it('prints its flags with --help', async () => {
    const run = await extender('--help');
    expect(run.code).to.equal(0);
    expect(run.stdout).to.include('--strategy binpack|spread').and.to.include('--bind-address');
  });
  const bad: [string[], string][] = [
    [['--strategy=random'], 'open-local extender: --strategy: "random" is not one of binpack, spread'],
    [['--port=70000'], 'open-local extender: --port: "70000" is not a whole number from 1 to 65535'],
    [['--tls-cert-file=/nonexistent.crt', '--tls-key-file=/nonexistent.key'], 'open-local extender: --tls-cert-file: cannot read /nonexistent.crt'],
  ];
  for (const [args, message] of bad) {
    it(`refuses ${args.join(' ')} with exit code 2 and a message`, async () => {
      const run = await extender(...args);
      expect(run.code).to.equal(2);
      expect(run.stderr).to.include(message);
    });
  }
});
