import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments, stringify } from 'yaml';
import { badClusters } from '../fixtures/bad-clusters.js';
import { isJsonObject, repoRoot } from '../fixtures/examples.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const nodeBin = join(repoRoot, '.tools', 'node', 'bin');

/** Runs `node bin/open-local.js ARGS` with Node 24 first on PATH; never rejects, reports the exit code. */
function openLocal(...args: string[]): Promise<Run> {
  return new Promise((resolvePromise) => {
    execFile(
      'node',
      ['bin/open-local.js', ...args],
      { cwd: repoRoot, env: { ...process.env, PATH: `${nodeBin}:${process.env.PATH ?? ''}` }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

function kindsOf(yamlText: string): string[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS() as unknown)
    .map((o) => (isJsonObject(o) && typeof o.kind === 'string' ? o.kind : '(not an object)'));
}

/** Every kind `synth -f examples/full.yaml` must print (full.yaml turns every optional component on). */
const OPERAND_KINDS = [
  'Namespace',
  'ServiceAccount',
  'ClusterRoleBinding',
  'RoleBinding',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ConfigMap',
  'Service',
  'CSIDriver',
  'StorageClass',
  'VolumeSnapshotClass',
  'NodeLocalStorageInitConfig',
  'Deployment',
  'DaemonSet',
];

describe('open-local CLI (bin/open-local.js)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'open-local-cli-test-'));
  const badPort = badClusters.find((b) => b.field === 'spec.extender.port');
  const badFile = join(tmp, 'bad-port.yaml');
  const outDir = join(tmp, 'out');
  let runs: Record<'synthFull' | 'synthFullNode' | 'invalid' | 'unknownFlag' | 'version' | 'unknownCommand' | 'synthToDir', Run>;

  // The CLI starts through tsx (about a second each): spawn every case at once.
  before(async function () {
    this.timeout(60_000);
    if (!badPort) throw new Error('test/fixtures/bad-clusters.ts has no spec.extender.port case');
    writeFileSync(badFile, stringify(badPort.cluster));
    const [synthFull, synthFullNode, invalid, unknownFlag, version, unknownCommand, synthToDir] = await Promise.all([
      openLocal('synth', '-f', 'examples/full.yaml'),
      openLocal('synth', '-f', 'examples/full.yaml', '--node', 'worker-1'),
      openLocal('synth', '-f', badFile),
      openLocal('synth', '--frobnicate'),
      openLocal('version'),
      openLocal('frobnicate'),
      openLocal('synth', '-f', 'examples/full.yaml', '-o', outDir),
    ]);
    runs = { synthFull, synthFullNode, invalid, unknownFlag, version, unknownCommand, synthToDir };
  });

  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('synth -f examples/full.yaml exits 0 and prints every operand kind', () => {
    expect(runs.synthFull.code, runs.synthFull.stderr).to.equal(0);
    expect([...new Set(kindsOf(runs.synthFull.stdout))]).to.have.members(OPERAND_KINDS);
  });

  it('synth -f FILE --node NAME also prints the prepare-VG Job of that node', () => {
    expect(runs.synthFullNode.code, runs.synthFullNode.stderr).to.equal(0);
    expect(kindsOf(runs.synthFullNode.stdout).filter((k) => k === 'Job')).to.have.length(1);
  });

  it('synth of an invalid OpenLocalCluster exits 2 with exactly one error, naming the field', () => {
    const { code, stdout, stderr } = runs.invalid;
    expect(code).to.equal(2);
    expect(stdout).to.equal('');
    const errorLines = stderr.split('\n').filter((l) => /^\s+spec\./.test(l));
    expect(errorLines, stderr).to.have.length(1);
    expect(errorLines[0]?.trim()).to.match(/^spec\.extender\.port: /);
    expect(stderr).not.to.match(/\n\s+at /, 'printed a stack trace');
  });

  it('an unknown flag exits 2 and names the flag', () => {
    expect(runs.unknownFlag.code).to.equal(2);
    expect(runs.unknownFlag.stderr).to.contain('--frobnicate');
    expect(runs.unknownFlag.stdout).to.equal('');
  });

  it("version prints package.json's version", () => {
    const pkg: unknown = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    const version = isJsonObject(pkg) && typeof pkg.version === 'string' ? pkg.version : '(no version in package.json)';
    expect(runs.version.code).to.equal(0);
    expect(runs.version.stdout).to.equal(`${version}\n`);
  });

  it('an unknown command exits 2 and names the command', () => {
    expect(runs.unknownCommand.code).to.equal(2);
    expect(runs.unknownCommand.stderr).to.contain('"frobnicate"');
  });

  it('synth -o DIR writes one file per object, each holding that object', () => {
    expect(runs.synthToDir.code, runs.synthToDir.stderr).to.equal(0);
    expect(runs.synthToDir.stdout).to.equal('');
    const files = readdirSync(outDir).sort();
    const printed = parseAllDocuments(runs.synthFull.stdout).map((d) => d.toJS() as unknown);
    expect(files).to.have.length(printed.length);
    const written = files.map((f) => {
      const docs = parseAllDocuments(readFileSync(join(outDir, f), 'utf8'));
      expect(docs, f).to.have.length(1);
      const obj = docs[0]?.toJS() as unknown;
      const kind = isJsonObject(obj) && typeof obj.kind === 'string' ? obj.kind.toLowerCase() : '(no kind)';
      expect(f, 'file name names the kind').to.contain(`-${kind}-`);
      return obj;
    });
    expect(written).to.deep.equal(printed);
  });
});
