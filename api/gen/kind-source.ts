import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { expandCelTemplates } from './cel-templates.js';

/** One kind as authored in api/schemas/<kind>.yaml: CRD facts plus the object's JSON Schema (with $refs). */
export interface KindSource {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly scope: 'Cluster' | 'Namespaced';
  readonly printerColumns: readonly Record<string, unknown>[];
  /** JSON paths a field selector may use (CRD selectableFields): lets a node plugin list only its node's objects. */
  readonly selectableFields?: readonly string[];
  /** The object schema with every $ref inlined; fragments are shared objects so type generation dedupes them. */
  readonly schema: Record<string, unknown>;
  readonly file: string;
}

export const schemasDir = resolve(import.meta.dirname, '..', 'schemas');

/** Reads every kind file in api/schemas, sorted by kind so generated output is stable. */
export function loadKindSources(dir = schemasDir): KindSource[] {
  const fragments = new Map<string, unknown>();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => {
      const file = join(dir, f);
      const doc = expandCelTemplates(parse(readFileSync(file, 'utf8')), file) as Omit<KindSource, 'file'>;
      return { ...doc, schema: inlineRefs(doc.schema, file, fragments) as Record<string, unknown>, file };
    })
    .sort((a, b) => a.kind.localeCompare(b.kind));
}

/**
 * Replaces `{ $ref: relative/file.yaml }` by that file's (ref-inlined) content. CRD schemas forbid $ref, and one
 * resolved object per fragment file lets json-schema-to-typescript emit each shared type once.
 */
function inlineRefs(node: unknown, file: string, cache: Map<string, unknown>, stack: string[] = []): unknown {
  if (Array.isArray(node)) return node.map((n) => inlineRefs(n, file, cache, stack));
  if (node === null || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  const ref = obj.$ref;
  if (typeof ref === 'string') {
    if (Object.keys(obj).length !== 1) throw new Error(`${file}: $ref ${ref} must stand alone`);
    const target = resolve(dirname(file), ref);
    if (stack.includes(target)) throw new Error(`${file}: $ref cycle through ${target}`);
    let resolved = cache.get(target);
    if (resolved === undefined) {
      resolved = inlineRefs(expandCelTemplates(parse(readFileSync(target, 'utf8')), target), target, cache, [...stack, target]);
      cache.set(target, resolved);
    }
    return resolved;
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, inlineRefs(v, file, cache, stack)]));
}
