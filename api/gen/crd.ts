import { API_GROUP, API_VERSION } from '../group.js';
import type { CrdManifest } from '../crd-manifest.js';
import type { KindSource } from './kind-source.js';

/** Keys that only feed type generation; the API server would reject or ignore them. */
const typeOnlyKeys = new Set(['tsType', 'title']);

/** Builds the apiextensions.k8s.io/v1 CRD of one kind from its schema: structural, status subresource, columns. */
export function buildCrd(source: KindSource): CrdManifest {
  const schema = stripTypeOnlyKeys(source.schema) as Record<string, unknown>;
  const properties = schema.properties as Record<string, unknown> | undefined;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${source.plural}.${API_GROUP}`, labels: { 'app.kubernetes.io/part-of': 'open-local' } },
    spec: {
      group: API_GROUP,
      scope: source.scope,
      names: {
        kind: source.kind,
        listKind: `${source.kind}List`,
        plural: source.plural,
        singular: source.singular,
        shortNames: [...source.shortNames],
        categories: ['open-local'],
      },
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: schema },
          ...(properties?.status ? { subresources: { status: {} } } : {}),
          ...(source.printerColumns.length > 0 ? { additionalPrinterColumns: [...source.printerColumns] } : {}),
          ...(source.selectableFields?.length ? { selectableFields: source.selectableFields.map((jsonPath) => ({ jsonPath })) } : {}),
        },
      ],
    },
  };
}

/** Walks schema nodes only: names inside `properties` are field names, never keywords. */
function stripTypeOnlyKeys(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripTypeOnlyKeys);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k]) => !typeOnlyKeys.has(k))
      .map(([k, v]) => [k, keywordValue(k, v)]),
  );
}

function keywordValue(keyword: string, value: unknown): unknown {
  if (keyword === 'default' || keyword === 'enum' || keyword === 'x-kubernetes-validations') return value;
  if (keyword === 'properties') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, stripTypeOnlyKeys(v)]));
  }
  return stripTypeOnlyKeys(value);
}
