import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import type { CrdManifest } from '../../../api/crd-manifest.js';
import { crdManifests } from '../../../api/generated/crds.js';
import { renderInstall } from '../../../synth/render.js';
import { repoRoot } from '../../fixtures/examples.js';

type SchemaNode = Readonly<Record<string, unknown>>;

function isNode(v: unknown): v is SchemaNode {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every schema node with its kubectl-style path: the root, property schemas, items, additionalProperties. */
function schemaNodes(node: SchemaNode, path = '<root>'): { path: string; node: SchemaNode }[] {
  const out = [{ path, node }];
  if (isNode(node.properties)) {
    for (const [name, sub] of Object.entries(node.properties)) {
      if (isNode(sub)) out.push(...schemaNodes(sub, path === '<root>' ? name : `${path}.${name}`));
    }
  }
  if (isNode(node.items)) out.push(...schemaNodes(node.items, `${path}[]`));
  if (isNode(node.additionalProperties)) out.push(...schemaNodes(node.additionalProperties, `${path}{}`));
  return out;
}

function rootSchema(crd: CrdManifest): SchemaNode {
  const version = crd.spec.versions.find((v) => v.storage);
  if (!version) throw new Error(`${crd.metadata.name} has no storage version`);
  return version.schema.openAPIV3Schema;
}

const run = promisify(execFile);
const nodeBin = join(repoRoot, '.tools', 'node', 'bin');

describe('api/generated', () => {
  it('is up to date with api/schemas (generate.ts --check exits 0)', async () => {
    const { stdout } = await run('npx', ['tsx', 'api/gen/generate.ts', '--check'], {
      cwd: repoRoot,
      env: { ...process.env, PATH: `${nodeBin}:${process.env.PATH ?? ''}` },
    });
    expect(stdout).to.contain('generated files are up to date');
  });

  it('holds the four open-local CRDs', () => {
    expect(crdManifests.map((c) => c.spec.names.kind).sort()).to.deep.equal([
      'LocalVolume',
      'NodeLocalStorage',
      'NodeLocalStorageInitConfig',
      'OpenLocalCluster',
    ]);
  });

  it('ships exactly these CRDs in the operator install', () => {
    const byName = (crds: readonly { readonly metadata: { readonly name: string } }[]) =>
      Object.fromEntries(crds.map((c) => [c.metadata.name, c]));
    const installed = renderInstall().filter((o) => o.kind === 'CustomResourceDefinition');
    expect(byName(installed)).to.deep.equal(byName(JSON.parse(JSON.stringify(crdManifests)) as CrdManifest[]));
  });

  for (const crd of crdManifests) {
    describe(crd.metadata.name, () => {
      const root = rootSchema(crd);
      const nodes = schemaNodes(root);

      it('is named <plural>.<group>', () => {
        expect(crd.metadata.name).to.equal(`${crd.spec.names.plural}.${crd.spec.group}`);
        expect(crd.spec.group).to.equal('csi.aliyun.com');
        expect(crd.spec.names.listKind).to.equal(`${crd.spec.names.kind}List`);
      });

      it('has exactly one storage version, and it is served', () => {
        const storage = crd.spec.versions.filter((v) => v.storage);
        expect(storage).to.have.length(1);
        expect(storage[0]?.served).to.equal(true);
        expect(storage[0]?.name).to.equal('v1alpha1');
      });

      it('has the status subresource if and only if the schema has a status', () => {
        const hasStatus = isNode(root.properties) && 'status' in root.properties;
        for (const v of crd.spec.versions) expect(v.subresources?.status !== undefined, v.name).to.equal(hasStatus);
      });

      it('gives every schema node a type (structural schema)', () => {
        const untyped = nodes
          .filter(({ node }) => node.type === undefined)
          .filter(({ node }) => node['x-kubernetes-int-or-string'] !== true && node['x-kubernetes-preserve-unknown-fields'] !== true)
          .map(({ path }) => path);
        expect(untyped).to.deep.equal([]);
      });

      it('has no $ref, title, tsType or additionalProperties: false anywhere', () => {
        const offending = nodes.flatMap(({ path, node }) => [
          ...['$ref', 'title', 'tsType'].filter((k) => k in node).map((k) => `${path}: ${k}`),
          ...(node.additionalProperties === false ? [`${path}: additionalProperties false`] : []),
        ]);
        expect(offending).to.deep.equal([]);
      });

      it('never combines properties with additionalProperties (the API server forbids it)', () => {
        const both = nodes.filter(({ node }) => node.properties !== undefined && node.additionalProperties !== undefined);
        expect(both.map(({ path }) => path)).to.deep.equal([]);
      });

      it('keys every list-map by required or defaulted scalar fields', () => {
        const problems: string[] = [];
        for (const { path, node } of nodes.filter(({ node }) => node['x-kubernetes-list-type'] === 'map')) {
          const item = isNode(node.items) ? node.items : {};
          const required = Array.isArray(item.required) ? item.required : [];
          const props = isNode(item.properties) ? item.properties : {};
          const keys = Array.isArray(node['x-kubernetes-list-map-keys']) ? (node['x-kubernetes-list-map-keys'] as unknown[]) : [];
          if (keys.length === 0) problems.push(`${path}: no list-map keys`);
          for (const key of keys.map(String)) {
            const prop = props[key];
            if (!isNode(prop) || !['string', 'integer', 'boolean'].includes(String(prop.type))) problems.push(`${path}: key ${key} is not a scalar field`);
            else if (!required.includes(key) && prop.default === undefined) problems.push(`${path}: key ${key} is neither required nor defaulted`);
          }
        }
        expect(problems).to.deep.equal([]);
      });

      it('has defaults that are valid against their own schema (the API server checks them)', () => {
        const ajv = new Ajv({ strict: false, allErrors: true });
        addFormats.default(ajv);
        const invalid = nodes
          .filter(({ node }) => node.default !== undefined)
          .filter(({ node }) => {
            const { default: value, ...schema } = node;
            return !ajv.validate(schema, structuredClone(value));
          })
          .map(({ path }) => `${path}: ${ajv.errorsText()}`);
        expect(invalid).to.deep.equal([]);
      });

      it('has no transition rule (oldSelf) under a list, where api/validate.ts cannot pair old and new items', () => {
        const underList = nodes
          .filter(({ path }) => path.includes('[]'))
          .filter(({ node }) => JSON.stringify(node['x-kubernetes-validations'] ?? []).includes('oldSelf'))
          .map(({ path }) => path);
        expect(underList).to.deep.equal([]);
      });
    });
  }
});
