import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { crdManifests } from './generated/crds.js';
import type { LocalVolume, NodeLocalStorage, NodeLocalStorageInitConfig, OpenLocalCluster } from './generated/types.js';
import { celViolations } from './cel.js';
import { duplicateListKeys } from './list-map-keys.js';
import { fieldPath, joinField } from './field-path.js';
import { strictSchema } from './strict-schema.js';

/** What `validate` returns: the object with the schema defaults applied, or every problem found, field first. */
export type Validation<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly string[] };

export interface KindTypes {
  readonly OpenLocalCluster: OpenLocalCluster;
  readonly NodeLocalStorage: NodeLocalStorage;
  readonly NodeLocalStorageInitConfig: NodeLocalStorageInitConfig;
  readonly LocalVolume: LocalVolume;
}
export type KindName = keyof KindTypes;

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictTypes: false });
addFormats.default(ajv);
ajv.addVocabulary([
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-embedded-resource',
]);

interface Compiled {
  readonly schema: Readonly<Record<string, unknown>>;
  readonly check: ValidateFunction;
}
// Compiled at first use, per kind: prepare-vg and the agent validate one kind each, and compiling all four CRD
// schemas at load cost every entry point its start time and memory.
const compiled = new Map<string, Compiled>();
function compiledFor(kind: KindName): Compiled {
  const cached = compiled.get(kind);
  if (cached) return cached;
  const crd = crdManifests.find((c) => c.spec.names.kind === kind);
  const version = crd?.spec.versions[0];
  if (!version) throw new Error(`no schema for kind ${kind}`);
  const schema = version.schema.openAPIV3Schema;
  const entry = { schema, check: ajv.compile(strictSchema(schema) as object) };
  compiled.set(kind, entry);
  return entry;
}

/**
 * Validates an object of an open-local kind the way the API server does with kubectl's strict field validation:
 * the structural schema (unknown fields are errors), defaults, then the CEL rules. `old` enables transition rules.
 * The input is not modified.
 */
export function validate<K extends KindName>(kind: K, input: unknown, old?: unknown): Validation<KindTypes[K]> {
  const entry = compiledFor(kind);
  const value = structuredClone(input);
  const errors = entry.check(value) ? [] : (entry.check.errors ?? []).map(describeAjvError);
  errors.push(...duplicateListKeys(entry.schema, value));
  if (errors.length === 0) {
    // The API server compares with the stored object, which has its defaults: so must we.
    const storedOld = old === undefined ? undefined : structuredClone(old);
    if (storedOld !== undefined) entry.check(storedOld);
    errors.push(...celViolations(entry.schema, value, storedOld));
  }
  return errors.length === 0 ? { ok: true, value: value as KindTypes[K] } : { ok: false, errors: [...new Set(errors)].sort() };
}

function describeAjvError(e: ErrorObject): string {
  const base = fieldPath(e.instancePath);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${joinField(base, String(params.additionalProperty))}: unknown field`;
    case 'required':
      return `${joinField(base, String(params.missingProperty))}: Required value`;
    case 'enum':
      return `${base || '<root>'}: Unsupported value: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${base || '<root>'}: Invalid value: ${e.message ?? e.keyword}`;
  }
}
