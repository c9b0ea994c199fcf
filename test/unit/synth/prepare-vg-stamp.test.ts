import { expect } from 'chai';
import { renderPrepareVgJob } from '../../../synth/render.js';
import { resolveSpec } from '../../../synth/resolved-spec.js';
import { PrepareVgJobTemplate } from '../../../synth/stack/prepare-vg-stamp.js';
import { loadExample, withField, type JsonObject } from '../../fixtures/examples.js';

const full = loadExample('full.yaml');
const specs: Record<string, JsonObject> = {
  minimal: loadExample('minimal.yaml'),
  full,
  'full, no global config (a node may get no config at all)': withField(full, 'spec.storage.globalConfig', undefined),
  'full, other images, log level and timeout': withField(withField(withField(full, 'spec.images.openLocal', 'registry.example.com/ol@sha256:' + 'a'.repeat(64)), 'spec.logLevel', 'debug'), 'spec.prepareVolumeGroups.timeoutSeconds', 77),
};
const nodes: Record<string, Readonly<Record<string, string>>> = {
  'worker-1.example.com': { 'node-role.example.com/database': 'true' },
  'worker-2': {},
  // Longer than a Job name may be: the readable part is cut, the hash keeps it unique.
  ['n'.repeat(70) + '.example.com']: { 'node-role.example.com/database': 'true' },
  // Upper case and characters a DNS name cannot hold, and replacement patterns a naive replace would expand.
  'Worker_3$&$1.EXAMPLE': { unrelated: 'label' },
  // A node named like part of the template must still be stamped only where the node's name goes.
  'prepare-vg': {},
};

describe('prepare-VG Job template (render once per spec, stamp each node)', () => {
  for (const [specName, cluster] of Object.entries(specs)) {
    for (const mode of ['prepare', 'remove'] as const) {
      it(`stamps the same bytes as a full rendering: ${specName}, ${mode}`, () => {
        const template = new PrepareVgJobTemplate(resolveSpec(cluster), mode);
        for (const [node, labels] of Object.entries(nodes)) {
          expect(JSON.stringify(template.job(node, labels)), node).to.equal(JSON.stringify(renderPrepareVgJob(cluster, node, labels, mode)));
        }
      });
    }
  }

  it('gives each node its own object (a caller may annotate one without touching the next)', () => {
    const template = new PrepareVgJobTemplate(resolveSpec(full));
    const a = template.job('a', {});
    const b = template.job('b', {});
    (a.metadata as unknown as { annotations: Record<string, string> }).annotations.extra = 'x';
    expect(JSON.stringify(b)).to.equal(JSON.stringify(renderPrepareVgJob(full, 'b', {})));
  });
});
