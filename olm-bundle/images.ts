/**
 * Images the bundle must declare in `relatedImages`, so a disconnected cluster can mirror them all.
 * The operand images are the defaults of OpenLocalCluster `spec.images` (one source of truth with the
 * operator, which falls back to the same defaults), plus the operator image.
 */
import { crdManifests } from '../api/generated/crds.js';

export interface RelatedImage {
  readonly name: string;
  readonly image: string;
}

type Schema = Readonly<Record<string, unknown>>;
const isSchema = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `spec.images` of the OpenLocalCluster schema: each image field with its default, in schema order. */
export function operandImages(): RelatedImage[] {
  const crd = crdManifests.find((c) => c.spec.names.kind === 'OpenLocalCluster');
  let node: unknown = crd?.spec.versions[0]?.schema.openAPIV3Schema;
  for (const key of ['spec', 'images']) node = isSchema(node) && isSchema(node.properties) ? node.properties[key] : undefined;
  if (!isSchema(node) || !isSchema(node.properties)) throw new Error('OpenLocalCluster schema has no spec.images');
  // An image field is a free string with a default; pullPolicy has an enum and pullSecrets is a list.
  const images = Object.entries(node.properties).flatMap(([key, field]) =>
    isSchema(field) && field.type === 'string' && field.enum === undefined && typeof field.default === 'string'
      ? [{ name: kebab(key), image: field.default }]
      : [],
  );
  if (images.length === 0) throw new Error('OpenLocalCluster schema has no image defaults under spec.images');
  return images;
}

/** Operand images, then the operator image unless it is one of them already; each must be pinned. */
export function relatedImages(operatorImage: string): RelatedImage[] {
  const all = [...operandImages(), { name: 'open-local-operator', image: operatorImage }];
  const unique = all.filter((entry, i) => all.findIndex((e) => e.image === entry.image) === i);
  const unpinned = unique.filter((e) => !isPinnedPullspec(e.image)).map((e) => e.image);
  if (unpinned.length > 0) {
    throw new Error(`relatedImages must be pinned (registry/repository:tag other than latest, or @sha256:digest): ${unpinned.sort().join(', ')}`);
  }
  return unique;
}

// registry host (with a dot or port, or localhost) / path components [:tag] [@sha256:digest], as in the
// distribution reference grammar (github.com/distribution/reference, regexp.go).
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const PULLSPEC = new RegExp(
  `^(?<registry>[a-zA-Z0-9.-]+(?::[0-9]+)?)/${COMPONENT}(?:/${COMPONENT})*` +
    '(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[0-9a-f]{64}))?$',
);

/**
 * A pullspec that names one image for good: fully qualified (registry host first, so no Docker Hub
 * guessing) with a digest, or with a tag other than `latest` (ours are release tags; a digest is stricter).
 */
export function isPinnedPullspec(image: string): boolean {
  const groups = PULLSPEC.exec(image)?.groups;
  if (!groups) return false;
  const registry = groups.registry ?? '';
  if (!registry.includes('.') && !registry.includes(':') && registry !== 'localhost') return false;
  return groups.digest !== undefined || (groups.tag !== undefined && groups.tag !== 'latest');
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
