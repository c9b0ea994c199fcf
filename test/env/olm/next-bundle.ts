// The bundle of the next release, for the OLM upgrade test: rendered by the bundle generator itself (olm-bundle/), as
// a release would render it, with the version bumped and `replaces` naming the CSV of the committed bundle.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { version } from '../../../lib/version.js';
import { renderBundle } from '../../../olm-bundle/bundle.js';
import { csvName } from '../../../olm-bundle/csv.js';
import { readBundleInputs, writeBundle } from '../../../olm-bundle/io.js';
import { registerTempDir, unregisterTempDir } from '../processes.js';

/** X.Y.Z → X.Y.(Z+1); a pre-release or build suffix is dropped (1.2.3-rc.1 → 1.2.4). */
export function nextPatchVersion(v: string): string {
  const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:[-+].*)?$/.exec(v);
  if (!m) throw new Error(`version "${v}" is not semver`);
  return `${m[1] ?? ''}.${m[2] ?? ''}.${String(Number(m[3]) + 1)}`;
}

export interface GeneratedBundle {
  /** The bundle folder (manifests/, metadata/), removed by remove(). */
  readonly dir: string;
  readonly version: string;
  readonly csvName: string;
  /** The CSV it replaces: the committed bundle's. */
  readonly replaces: string;
  remove(): Promise<void>;
}

/**
 * The operator image the v+1 bundle names: the project image's name with the next version's tag. No release of it
 * exists here; the nodes' image disk (cluster-images.ts) lists the project image under this name too, the same bytes.
 */
export function nextOperatorImage(image: string): string {
  const repo = image.replace(/[:@][^/]*$/, '');
  return `${repo}:v${nextPatchVersion(version)}`;
}

/**
 * Writes the v+1 bundle (package.json's version, patch bumped, replacing that version's CSV) into a temp dir; its
 * operator image is `operatorImage` (@default the one the committed bundle names).
 */
export async function writeNextBundle(operatorImage?: string): Promise<GeneratedBundle> {
  const next = nextPatchVersion(version);
  const files = renderBundle({ ...readBundleInputs(operatorImage === undefined ? {} : { operatorImage }), version: next, replaces: csvName(version) });
  const dir = await mkdtemp(join(tmpdir(), 'open-local-next-bundle-'));
  registerTempDir(dir);
  writeBundle(dir, files);
  return {
    dir,
    version: next,
    csvName: csvName(next),
    replaces: csvName(version),
    async remove() {
      await rm(dir, { recursive: true, force: true });
      unregisterTempDir(dir);
    },
  };
}
