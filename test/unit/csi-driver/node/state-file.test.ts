import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseState, StateFile, STATE_FILE_NAME } from '../../../../csi-driver/node/state-file.js';

describe('csi-driver/node/state-file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'csi-state-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('starts empty without a file, and a second instance reads what the first wrote', async () => {
    const a = new StateFile(join(dir, 'csi'));
    expect(await a.load()).to.deep.equal({ version: 1, publications: {} });
    await Promise.all([
      a.update((p) => { p['/k/t1'] = { volumeId: 'v1', device: '/dev/vg/v1', ioLimits: { iops: 10 } }; }),
      a.update((p) => { p['/k/t2'] = { volumeId: 'v2', ephemeral: { vg: 'vg', lv: 'csi-2', uuid: 'U' } }; }),
    ]);
    const b = new StateFile(join(dir, 'csi'));
    expect(Object.keys((await b.load()).publications).sort()).to.deep.equal(['/k/t1', '/k/t2']);
    expect(b.current.publications['/k/t2']?.ephemeral).to.deep.equal({ vg: 'vg', lv: 'csi-2', uuid: 'U' });
    expect(await readdir(join(dir, 'csi'))).to.deep.equal([STATE_FILE_NAME]);
  });

  it('refuses to start from a corrupt file instead of forgetting inline volumes', async () => {
    await writeFile(join(dir, STATE_FILE_NAME), '{"version":1,"publi');
    let error: unknown;
    await new StateFile(dir).load().catch((e: unknown) => { error = e; });
    expect(String(error)).to.match(/is not JSON .*kept for inspection/);
    expect(await readFile(join(dir, STATE_FILE_NAME), 'utf8')).to.equal('{"version":1,"publi');
    expect(() => parseState('{"version":2,"publications":{}}', 'f')).to.throw(/not a version 1 node state/);
  });
});
