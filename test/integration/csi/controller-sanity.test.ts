// csi-sanity's controller specs ([Controller Server]) against the controller service with the real API server; the
// node side is played (support/play-node.ts), so the node specs run elsewhere (csi-sanity in UML, against the real
// node plugin). Parameters as the default StorageClass and VolumeSnapshotClass give them.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { peerPath } from '../../env/peers.js';
import { startControllerHarness, type ControllerHarness } from './support/controller-harness.js';

describe('csi-sanity: controller specs against the controller service', function () {
  this.timeout(900_000);
  let h: ControllerHarness;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csi-sanity-controller-'));
    h = await startControllerHarness({ nodes: { 'node-a': { vgs: { pool: 2000 } }, 'node-b': { vgs: { pool: 2000 } } }, answering: ['node-a', 'node-b'], operationTimeoutMs: 120_000 });
  });
  after(async () => {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes every [Controller Server] spec', async () => {
    const volumeParams = join(dir, 'volume.yaml');
    const snapshotParams = join(dir, 'snapshot.yaml');
    writeFileSync(volumeParams, 'volumeType: LVM\n');
    writeFileSync(snapshotParams, 'csi.aliyun.com/readonly: "true"\ncsi.aliyun.com/snapshot-initial-size: 1Gi\n');
    const args = [
      `--csi.endpoint=${h.socketPath}`,
      `--csi.mountdir=${join(dir, 'mount')}`,
      `--csi.stagingdir=${join(dir, 'staging')}`,
      `--csi.testvolumeparameters=${volumeParams}`,
      `--csi.testsnapshotparameters=${snapshotParams}`,
      '--ginkgo.focus=\\[Controller Server\\]',
      '--ginkgo.v',
    ];
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(peerPath('csi-sanity'), args, { maxBuffer: 64 * 1024 * 1024, timeout: 840_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` });
      });
    });
    // eslint-disable-next-line no-control-regex
    const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
    const failures = plain.split('\n').filter((l) => l.includes('[FAIL]') || l.includes('unexpected error')).join('\n');
    expect(code, `csi-sanity failed:\n${failures}\n${plain.slice(-5000)}`).to.equal(0);
    // The focus must have selected the controller specs (41 in v5.4.0), not skipped them all.
    const passed = Number(/SUCCESS! -- (\d+) Passed \| 0 Failed/.exec(plain)?.[1] ?? '0');
    expect(passed, plain.slice(-2000)).to.be.at.least(40);
  });
});
