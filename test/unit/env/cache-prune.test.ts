import { expect } from 'chai';
import { mkdir, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markUsed, pruneUnused } from '../../env/cache-prune.js';

describe('test env cache pruning', () => {
  it('deletes entries of the kind unused for a day, never the one just built, a recent one or another kind', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'open-local-prune-'));
    try {
      const dayAgo = new Date(Date.now() - 25 * 3600_000);
      for (const name of ['img-old', 'img-recent', 'img-new', 'img-used', 'other-old']) await mkdir(join(parent, name));
      for (const name of ['img-old', 'img-new', 'img-used', 'other-old']) await utimes(join(parent, name), dayAgo, dayAgo);
      await markUsed(join(parent, 'img-used'));
      const removed = await pruneUnused(parent, 'img-', join(parent, 'img-new'));
      expect(removed).to.deep.equal(['img-old']);
      expect((await readdir(parent)).sort()).to.deep.equal(['img-new', 'img-recent', 'img-used', 'other-old']);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
