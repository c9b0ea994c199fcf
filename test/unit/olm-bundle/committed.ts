/** The committed olm-bundle/ as the tests read it: every generated file, and the manifests parsed. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CSV_FILE } from '../../../olm-bundle/bundle.js';
import { isJsonObject, repoRoot, type JsonObject } from '../../fixtures/examples.js';

export const bundleDir = join(repoRoot, 'olm-bundle');

/** Every generated file under `dir` (manifests/*, metadata/*, bundle.Dockerfile), path → content. */
export function generatedFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const sub of ['manifests', 'metadata']) {
    let names: string[];
    try {
      names = readdirSync(join(dir, sub)).sort();
    } catch {
      names = [];
    }
    for (const name of names) files.set(`${sub}/${name}`, readFileSync(join(dir, sub, name), 'utf8'));
  }
  try {
    files.set('bundle.Dockerfile', readFileSync(join(dir, 'bundle.Dockerfile'), 'utf8'));
  } catch {
    // missing: reported by the comparison
  }
  return files;
}

/** The file's object; a stray or broken file yields a stand-in whose kind says so (the tests then name it). */
function parseObject(text: string): JsonObject {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    doc = undefined;
  }
  return isJsonObject(doc) ? doc : { kind: '(not one YAML object)' };
}

export const committed = generatedFiles(bundleDir);

/** manifests/<file> → its object. */
export const manifests: ReadonlyMap<string, JsonObject> = new Map(
  [...committed].filter(([f]) => f.startsWith('manifests/')).map(([f, text]) => [f, parseObject(text)]),
);

/** The committed CSV, or an empty object when it is missing (the byte-for-byte test then says to regenerate). */
export function committedCsv(): JsonObject {
  return manifests.get(CSV_FILE) ?? {};
}

/** `obj.a.b.c` as unknown, for reading parsed YAML without casts at every step. */
export function at(obj: unknown, ...keys: (string | number)[]): unknown {
  let node: unknown = obj;
  for (const key of keys) {
    if (typeof key === 'number') node = Array.isArray(node) ? (node as unknown[])[key] : undefined;
    else node = isJsonObject(node) ? node[key] : undefined;
  }
  return node;
}
