/**
 * Returns a copy of a structural schema in which every object with declared properties rejects unknown fields,
 * as the API server does for `kubectl apply` (strict field validation) instead of silently pruning them.
 */
export function strictSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictSchema);
  if (node === null || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'properties') {
      copy[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([name, s]) => [name, strictSchema(s)]));
    } else if (k === 'default' || k === 'enum' || k === 'x-kubernetes-validations') {
      copy[k] = v;
    } else {
      copy[k] = strictSchema(v);
    }
  }
  if (obj.properties !== undefined && obj.additionalProperties === undefined && obj['x-kubernetes-preserve-unknown-fields'] !== true) {
    copy.additionalProperties = false;
  }
  return copy;
}
