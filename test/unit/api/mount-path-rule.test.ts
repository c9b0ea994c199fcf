// The CEL rule that keeps mount points off the node's own directories, evaluated as the API server does (through
// api/validate.ts on the generated CRD), held against lib/system-paths.ts entry by entry so the two cannot drift.
import { expect } from 'chai';
import { expandCelTemplates } from '../../../api/gen/cel-templates.js';
import { validate } from '../../../api/validate.js';
import { DEFAULT_KUBELET_DIR, SYSTEM_DIRECTORIES, systemMountPathReason } from '../../../lib/system-paths.js';
import { loadExample, withField } from '../../fixtures/examples.js';

const GLOBAL = 'spec.storage.globalConfig.resourceToBeInited.mountpoints';

/** The errors for minimal.yaml with one mount point at `path`, in globalConfig or in a nodesConfig entry. */
function errorsFor(path: string, where: 'global' | 'node', kubeletDir?: string): readonly string[] {
  let cluster = loadExample('minimal');
  if (kubeletDir !== undefined) cluster = withField(cluster, 'spec.csi.kubeletDir', kubeletDir);
  const mountpoints = [{ path, device: '/dev/vdc' }];
  cluster =
    where === 'global'
      ? withField(cluster, GLOBAL, mountpoints)
      : withField(cluster, 'spec.storage.nodesConfig', [{ selector: { matchLabels: { disk: 'hdd' } } }, { resourceToBeInited: { mountpoints } }]);
  const r = validate('OpenLocalCluster', cluster);
  return r.ok ? [] : r.errors;
}

const refusedAt = (where: 'global' | 'node') => (where === 'global' ? GLOBAL : 'spec.storage.nodesConfig');

describe('api: mount points at or under system directories (CEL, from lib/system-paths.ts)', () => {
  for (const where of ['global', 'node'] as const) {
    describe(where === 'global' ? 'in globalConfig' : 'in a nodesConfig entry', () => {
      it('refuses every system directory itself, with a trailing slash, and anything under it', () => {
        for (const dir of SYSTEM_DIRECTORIES) {
          for (const path of [dir, `${dir}/`, `${dir}/open-local/disk-0`]) {
            const errors = errorsFor(path, where);
            expect(errors, path).to.have.length(1);
            expect(errors[0], path).to.match(new RegExp(`^${refusedAt(where).replace(/[.[\]]/g, '\\$&')}: Invalid value: a mount point path is refused: .*${dir.replace(/\//g, '\\/')}[, ]`));
          }
        }
      });

      it('refuses the root directory, the default kubelet directory and a configured one', () => {
        for (const path of ['/', `${DEFAULT_KUBELET_DIR}/pods`]) expect(errorsFor(path, where), path).to.have.length(1);
        expect(errorsFor('/data/kubelet', where, '/data/kubelet')).to.have.length(1);
        expect(errorsFor('/data/kubelet/plugins/x/', where, '/data/kubelet')).to.have.length(1);
      });

      it('refuses paths CEL cannot normalise (empty, "." and ".." segments)', () => {
        for (const path of ['//etc', '/mnt//x', '/mnt/./x', '/mnt/open-local/../../etc', '/mnt/.', '/mnt/..']) expect(errorsFor(path, where), path).to.have.length(1);
      });

      it('accepts data directories, also ones whose names start like a system directory', () => {
        const allowed = ['/mnt/open-local/disk-0', '/mnt/open-local/disk-0/', '/data/kubelet-disks', '/var/open-local', '/mnt/etc', '/srv/a..b', ...SYSTEM_DIRECTORIES.map((d) => `${d}x/disk`)];
        for (const path of allowed) expect(errorsFor(path, where), path).to.deep.equal([]);
        expect(errorsFor('/var/lib/kubelet-is-not-here', where, '/data/kubelet'), 'still under /var/lib').to.have.length(1);
      });
    });
  }

  it('agrees with systemMountPathReason on every normalised path it is given', () => {
    const kubeletDir = '/data/kubelet';
    const paths = ['/', '/mnt/x', '/data/kubelet', '/data/kubelet/x', '/data/kubeletx', ...SYSTEM_DIRECTORIES.flatMap((d) => [d, `${d}/`, `${d}/a/b`, `${d}a`])];
    for (const path of paths) {
      const refusedByCel = errorsFor(path, 'global', kubeletDir).length > 0;
      expect(refusedByCel, path).to.equal(systemMountPathReason(path, kubeletDir) !== undefined);
    }
  });
});

describe('api/gen/cel-templates', () => {
  it('refuses an unknown placeholder, naming the file', () => {
    expect(() => expandCelTemplates({ rule: '{{refusedMountPth(m.path, k)}}' }, 'x.yaml')).to.throw(/x\.yaml: unknown CEL template \{\{refusedMountPth\(m\.path, k\)\}\}/);
  });

  it('leaves strings without placeholders alone', () => {
    expect(expandCelTemplates({ a: ['self.x == 1', 2] }, 'x.yaml')).to.deep.equal({ a: ['self.x == 1', 2] });
  });
});
