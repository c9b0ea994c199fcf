import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { checkPath, checkPathLexically } from '../../../../csi-driver/node/paths.js';
import { expectCsiError, expectCsiRejection } from './expect-code.js';

const K = '/var/lib/kubelet';

describe('csi-driver/node/paths', () => {
  it('accepts a clean absolute path inside the kubelet directory', () => {
    expect(checkPathLexically('target_path', `${K}/pods/u/volumes/kubernetes.io~csi/pv/mount`, K)).to.equal(`${K}/pods/u/volumes/kubernetes.io~csi/pv/mount`);
    expect(checkPathLexically('target_path', `${K}/pods/x/`, `${K}/`)).to.equal(`${K}/pods/x`);
  });

  const bad: [string, string, RegExp][] = [
    ['empty', '', /target_path is required/],
    ['relative', 'pods/x', /not an absolute path/],
    ['dot-dot escape', `${K}/pods/../../../../etc`, /"\." or "\.\." segment/],
    ['single dot', `${K}/./pods`, /"\." or "\.\." segment/],
    ['outside', '/etc/passwd', /not inside the kubelet directory \/var\/lib\/kubelet/],
    ['the kubelet directory itself', K, /not inside/],
    ['a sibling with the same prefix', '/var/lib/kubelet-evil/x', /not inside/],
    ['NUL byte', `${K}/a\0b`, /NUL/],
    ['longer than PATH_MAX', `${K}/${'a'.repeat(5000)}`, /longer than 4096 bytes/],
  ];
  for (const [name, path, message] of bad) {
    it(`refuses ${name} with INVALID_ARGUMENT naming the path`, () => {
      expectCsiError(() => checkPathLexically('target_path', path, K), status.INVALID_ARGUMENT, message);
    });
  }

  describe('with the real filesystem', () => {
    let root: string;
    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'csi-paths-'));
      await mkdir(join(root, 'kubelet', 'pods', 'p'), { recursive: true });
      await mkdir(join(root, 'outside'));
      await symlink(join(root, 'outside'), join(root, 'kubelet', 'pods', 'p', 'evil'));
      await symlink(join(root, 'kubelet', 'pods'), join(root, 'kubelet', 'pods', 'p', 'inside'));
    });
    after(() => rm(root, { recursive: true, force: true }));

    it('accepts a path that does not exist yet under an existing directory', async () => {
      expect(await checkPath('target_path', join(root, 'kubelet', 'pods', 'p', 'new', 'mount'), join(root, 'kubelet'))).to.equal(join(root, 'kubelet', 'pods', 'p', 'new', 'mount'));
    });
    it('accepts a symlink that stays inside', async () => {
      await checkPath('target_path', join(root, 'kubelet', 'pods', 'p', 'inside', 'x'), join(root, 'kubelet'));
    });
    it('refuses a symlink that leads out of the kubelet directory, naming where it resolves', async () => {
      await expectCsiRejection(checkPath('target_path', join(root, 'kubelet', 'pods', 'p', 'evil', 'mount'), join(root, 'kubelet')), status.INVALID_ARGUMENT, /through a symlink/, /outside/);
    });
  });
});
