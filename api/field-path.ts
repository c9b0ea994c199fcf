/** `/spec/nodes/0/name` → `spec.nodes[0].name`, the notation kubectl prints in validation errors. */
export function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : joinField(acc, p)), '');
}

export function joinField(base: string, name: string): string {
  return base ? `${base}.${name}` : name;
}
