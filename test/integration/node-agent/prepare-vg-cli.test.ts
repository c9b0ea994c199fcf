// `open-local prepare-vg` as the Job runs it, for the outcomes that need no disk: usage errors, a bad config, a node
// without LVM tools. The disk outcomes (0 and 1) run on real LVM in test/integration/node-agent/prepare-vg-uml.test.ts.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { parseResult, type PrepareVgResult } from '../../../node-agent/prepare-vg/result.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly result: PrepareVgResult | undefined;
}

const nodeDir = dirname(process.execPath);
const tmp = mkdtempSync(join(tmpdir(), 'open-local-prepare-vg-cli-'));
/** Node, and the tools the node lock needs (flock, mkdir, cat), but no `lvm`. */
const tools = join(tmp, 'bin');
mkdirSync(tools);
for (const tool of ['flock', 'mkdir', 'cat']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(tools, tool));

/** Runs the CLI with PATH = Node and the lock's tools only, so `lvm` cannot be found, and reads the result file it wrote. */
function prepareVg(name: string, args: string[], config: string | undefined): Promise<Run> {
  const resultFile = join(tmp, `${name}.result`);
  const env: NodeJS.ProcessEnv = { PATH: `${nodeDir}:${tools}`, HOME: process.env.HOME ?? '/', ...(config === undefined ? {} : { OPEN_LOCAL_INIT_CONFIG: config }) };
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/open-local.js', 'prepare-vg', ...args, `--result-file=${resultFile}`, `--lock-file=${join(tmp, name, 'prepare-vg.lock')}`, `--state-dir=${join(tmp, name, 'state')}`], { env }, (error, stdout, stderr) => {
      let result: PrepareVgResult | undefined;
      try {
        const parsed = parseResult(readFileSync(resultFile, 'utf8'));
        result = 'invalid' in parsed ? undefined : parsed;
      } catch {
        result = undefined;
      }
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr, result });
    });
  });
}

describe('open-local prepare-vg (CLI outcomes without disks)', () => {
  let runs: Record<'help' | 'noNode' | 'badFlag' | 'unset' | 'badConfig' | 'empty' | 'noLvm' | 'removeEmpty' | 'removeNoLvm' | 'removeBadConfig' | 'removeValue', Run>;
  before(async function () {
    this.timeout(60_000);
    const [help, noNode, badFlag, unset, badConfig, empty, noLvm, removeEmpty, removeNoLvm, removeBadConfig, removeValue] = await Promise.all([
      prepareVg('help', ['--help'], undefined),
      prepareVg('no-node', [], '{}'),
      prepareVg('bad-flag', ['--node-name=n', '--host-exec=ssh'], '{}'),
      prepareVg('unset', ['--node-name=n', '--host-exec=direct'], undefined),
      prepareVg('bad-config', ['--node-name=n', '--host-exec=direct'], '{"vgs":[{"name":"pool 0","devices":["/dev/vdb"]}]}'),
      prepareVg('empty', ['--node-name=n', '--host-exec=direct'], '{}'),
      prepareVg('no-lvm', ['--node-name=n', '--host-exec=direct'], '{"vgs":[{"name":"pool0","devices":["/dev/vdb"]}]}'),
      prepareVg('remove-empty', ['--node-name=n', '--host-exec=direct', '--remove'], '{"mountpoints":[{"path":"/mnt/open-local/d1","device":"/dev/vdc"}]}'),
      prepareVg('remove-no-lvm', ['--node-name=n', '--host-exec=direct', '--remove'], '{"vgs":[{"name":"pool0","devices":["/dev/vdb"]}]}'),
      prepareVg('remove-bad-config', ['--node-name=n', '--host-exec=direct', '--remove'], '{"vgs":[{"name":"-pool","devices":["/dev/vdb"]}]}'),
      prepareVg('remove-value', ['--node-name=n', '--host-exec=direct', '--remove=yes'], '{}'),
    ]);
    runs = { help, noNode, badFlag, unset, badConfig, empty, noLvm, removeEmpty, removeNoLvm, removeBadConfig, removeValue };
  });
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('prints its usage with --help', () => {
    expect(runs.help.code).to.equal(0);
    expect(runs.help.stdout).to.include('Usage: open-local prepare-vg --node-name NAME [--remove]');
    expect(runs.help.stdout).to.match(/--remove +instead remove the config's volume groups/);
  });

  it('exits 2 without --node-name or with a bad flag value', () => {
    expect(runs.noNode.code).to.equal(2);
    expect(runs.noNode.stderr).to.include('--node-name is required');
    expect(runs.badFlag.code).to.equal(2);
    expect(runs.badFlag.stderr).to.include('--host-exec: "ssh" is not one of direct, nsenter');
  });

  it('exits 2 and writes a result with the error when the config is missing or invalid', () => {
    expect(runs.unset.code).to.equal(2);
    expect(runs.unset.result?.error).to.match(/OPEN_LOCAL_INIT_CONFIG is not set/);
    expect(runs.badConfig.code).to.equal(2);
    expect(runs.badConfig.result).to.deep.include({ node: 'n', volumeGroups: [], mountPoints: [] });
    expect(runs.badConfig.result?.error).to.match(/^invalid OPEN_LOCAL_INIT_CONFIG: config\.vgs\[0\]\.name: /);
    expect(runs.badConfig.result?.configHash).to.match(/^[0-9a-f]{16}$/);
    expect(runs.badConfig.stdout.trim()).to.equal(JSON.stringify(runs.badConfig.result));
  });

  it('succeeds with nothing to do, even without LVM tools', () => {
    expect(runs.empty.code, runs.empty.stderr).to.equal(0);
    expect(runs.empty.result).to.deep.equal({ version: 1, node: 'n', configHash: '44136fa355b3678a', volumeGroups: [], mountPoints: [] });
  });

  it('--remove: succeeds with no VG to remove without inspecting (mount points are never part of it)', () => {
    expect(runs.removeEmpty.code, runs.removeEmpty.stderr).to.equal(0);
    expect(runs.removeEmpty.result).to.deep.include({ node: 'n', volumeGroups: [], mountPoints: [] });
  });

  it('--remove: exits 3 without lvm, 2 on a bad config or a value for the flag, with the same result format', () => {
    expect(runs.removeNoLvm.code).to.equal(3);
    expect(runs.removeNoLvm.result?.error).to.match(/^cannot inspect the node: lvm vgs .*ENOENT/);
    expect(runs.removeBadConfig.code).to.equal(2);
    expect(runs.removeBadConfig.result?.error).to.match(/^invalid OPEN_LOCAL_INIT_CONFIG: config\.vgs\[0\]\.name/);
    expect(runs.removeValue.code).to.equal(2);
    expect(runs.removeValue.stderr).to.match(/--remove/);
  });

  it('exits 3 with the reason when the node cannot be inspected (no lvm on PATH)', () => {
    expect(runs.noLvm.code).to.equal(3);
    expect(runs.noLvm.result?.error).to.match(/^cannot inspect the node: lvm vgs .*cannot run lvm: spawn lvm ENOENT/);
    expect(runs.noLvm.stderr).to.include('cannot inspect the node');
  });
});
