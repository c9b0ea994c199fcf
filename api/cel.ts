import { evaluate } from '@marcbachmann/cel-js';
import { fieldPath } from './field-path.js';

interface CelRule {
  readonly rule: string;
  readonly message?: string;
  readonly fieldPath?: string;
}

/**
 * Evaluates the schema's `x-kubernetes-validations` CEL rules on a value, so the CLI and tests reject exactly what
 * the API server rejects, from the same rules. Rules using `oldSelf` run only when an old value exists.
 */
export function celViolations(schema: Readonly<Record<string, unknown>>, value: unknown, old?: unknown): string[] {
  const out: string[] = [];
  walk(schema, value, old, '', out);
  return out;
}

function walk(schema: Readonly<Record<string, unknown>>, value: unknown, old: unknown, pointer: string, out: string[]): void {
  if (value === undefined) return;
  for (const rule of (schema['x-kubernetes-validations'] as CelRule[] | undefined) ?? []) {
    const transition = /\boldSelf\b/.test(rule.rule);
    if (transition && old === undefined) continue;
    let passed: unknown;
    try {
      passed = evaluate(rule.rule, transition ? { self: value, oldSelf: old } : { self: value });
    } catch (err) {
      // has() on a field missing from a map, and similar, make the rule fail, as in the API server.
      passed = false;
      if (!(err instanceof Error)) throw err;
    }
    if (passed !== true) {
      const at = fieldPath(pointer) + (rule.fieldPath ?? '');
      out.push(`${at || '<root>'}: Invalid value: ${rule.message ?? `failed rule: ${rule.rule}`}`);
    }
  }
  const props = schema.properties as Record<string, Readonly<Record<string, unknown>>> | undefined;
  if (props && isObject(value)) {
    for (const [name, sub] of Object.entries(props)) {
      walk(sub, value[name], isObject(old) ? old[name] : undefined, `${pointer}/${name}`, out);
    }
  }
  const items = schema.items as Readonly<Record<string, unknown>> | undefined;
  if (items && Array.isArray(value)) {
    // Transition rules on list items need a key to pair old and new; only map lists have one.
    value.forEach((v, i) => {
      walk(items, v, undefined, `${pointer}/${i}`, out);
    });
  }
  const additional = schema.additionalProperties;
  if (isObject(additional) && isObject(value)) {
    for (const [k, v] of Object.entries(value)) walk(additional, v, isObject(old) ? old[k] : undefined, `${pointer}/${k}`, out);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
