/** The file I/O around renderBundle: read its inputs from the checkout, write the files into a folder. */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { version } from '../lib/version.js';
import { defaultOpenLocalImage } from '../synth/install/operator-install.js';
import type { CsvInputs } from './csv.js';

export const repoRoot = resolve(import.meta.dirname, '..');

/** The examples the console offers, minimal first (its "create" form starts from the first one). */
export const EXAMPLE_FILES = ['minimal.yaml', 'full.yaml'] as const;

/** Everything renderBundle needs from the checkout: package.json, README.md and examples/. */
export function readBundleInputs(options: { readonly operatorImage?: string } = {}, root = repoRoot): CsvInputs {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { description?: unknown };
  if (typeof pkg.description !== 'string') throw new Error('package.json has no description');
  return {
    version,
    operatorImage: options.operatorImage ?? defaultOpenLocalImage(),
    summary: pkg.description,
    readme: readFileSync(join(root, 'README.md'), 'utf8'),
    examples: EXAMPLE_FILES.map((f) => parse(readFileSync(join(root, 'examples', f), 'utf8')) as unknown),
  };
}

/**
 * Writes the bundle into `dir`. manifests/ and metadata/ are generated as a whole, so files there that the
 * bundle no longer has (a renamed CRD, say) are removed; nothing else in `dir` is touched.
 */
export function writeBundle(dir: string, files: ReadonlyMap<string, string>): void {
  for (const sub of ['manifests', 'metadata']) {
    let existing: string[];
    try {
      existing = readdirSync(join(dir, sub));
    } catch {
      existing = [];
    }
    for (const name of existing) {
      if (!files.has(`${sub}/${name}`)) rmSync(join(dir, sub, name), { recursive: true });
    }
  }
  for (const [file, content] of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
}
