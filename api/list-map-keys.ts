import { fieldPath } from './field-path.js';

/**
 * Reports entries of `x-kubernetes-list-type: map` lists whose keys repeat an earlier entry, and of `set` lists that
 * repeat an earlier value, as the API server does (`spec.storageClasses[1]: Duplicate value`): ajv knows neither.
 */
export function duplicateListKeys(schema: Readonly<Record<string, unknown>>, value: unknown, pointer = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  const out: string[] = [];
  if (Array.isArray(value)) {
    const items = schema.items as Readonly<Record<string, unknown>> | undefined;
    const keys = schema['x-kubernetes-list-map-keys'] as readonly string[] | undefined;
    if (schema['x-kubernetes-list-type'] === 'set') {
      const seen = new Set<string>();
      value.forEach((item: unknown, i) => {
        const key = JSON.stringify(item);
        if (seen.has(key)) out.push(`${fieldPath(`${pointer}/${i}`)}: Duplicate value: ${key}`);
        seen.add(key);
      });
    }
    if (schema['x-kubernetes-list-type'] === 'map' && keys) {
      const seen = new Set<string>();
      value.forEach((item: unknown, i) => {
        const key = JSON.stringify(keys.map((k) => (item as Record<string, unknown> | null)?.[k]));
        if (seen.has(key)) out.push(`${fieldPath(`${pointer}/${i}`)}: Duplicate value: ${key}`);
        seen.add(key);
      });
    }
    if (items) value.forEach((item: unknown, i) => out.push(...duplicateListKeys(items, item, `${pointer}/${i}`)));
    return out;
  }
  const props = schema.properties as Record<string, Readonly<Record<string, unknown>>> | undefined;
  for (const [name, sub] of Object.entries(props ?? {})) {
    out.push(...duplicateListKeys(sub, (value as Record<string, unknown>)[name], `${pointer}/${name}`));
  }
  return out;
}
