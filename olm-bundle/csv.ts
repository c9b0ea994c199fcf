/**
 * The ClusterServiceVersion, built from the same functions the plain install uses (synth/), so the two
 * ways of installing the operator run the same Deployment with the same RBAC.
 */
import { k8s } from 'cdk8s-plus-33';
import { validate } from '../api/validate.js';
import { operatorDeploymentSpec } from '../synth/install/operator-install.js';
import { operatorClusterRules, operatorRules } from '../synth/rbac-rules.js';
import { toPolicyRules } from '../synth/stack/rbac.js';
import { csvDescription } from './description.js';
import { ownedCrds } from './descriptors.js';
import { csvIcon } from './icon.js';
import { relatedImages } from './images.js';
import {
  DISPLAY_NAME,
  KEYWORDS,
  LINKS,
  MAINTAINERS,
  MIN_KUBE_VERSION,
  OPERATOR_NAME,
  PACKAGE_NAME,
  PROVIDER,
  REPLACES,
  REPOSITORY_URL,
  SUGGESTED_NAMESPACE,
} from './project.js';

export interface CsvInputs {
  /** package.json version: the CSV version, in its name and in skipRange. */
  readonly version: string;
  /** Operator image (the open-local image default unless a release pins another). */
  readonly operatorImage: string;
  /** One-line summary (package.json description). */
  readonly summary: string;
  /** README.md text: the long description's intro, feature table and safety notes. */
  readonly readme: string;
  /** Parsed examples/*.yaml (OpenLocalClusters), in the order the console should offer them. */
  readonly examples: readonly unknown[];
  /**
   * The CSV this one upgrades from (`open-local-operator.vX.Y.Z`). @default REPLACES of project.ts, the release's
   * own upgrade edge; set it to render another release's bundle, as the OLM upgrade test does for v+1.
   */
  readonly replaces?: string;
}

/** A CSV as plain JSON data: what the YAML file holds. */
export type Csv = Readonly<Record<string, unknown>> & {
  readonly apiVersion: 'operators.coreos.com/v1alpha1';
  readonly kind: 'ClusterServiceVersion';
  readonly metadata: { readonly name: string; readonly annotations: Readonly<Record<string, string>> };
  readonly spec: Readonly<Record<string, unknown>>;
};

// Same rule as the validator: X.Y.Z with optional -prerelease and +build.
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

export const csvName = (version: string): string => `${PACKAGE_NAME}.v${version}`;

/** Refuses an example the API server would refuse: OperatorHub offers them as ready-to-create objects. */
function checkedExamples(examples: readonly unknown[]): unknown[] {
  if (examples.length === 0) throw new Error('alm-examples: no examples given');
  return examples.map((example, i) => {
    const result = validate('OpenLocalCluster', example);
    if (!result.ok) throw new Error(`alm-examples[${i}] is not a valid OpenLocalCluster:\n  ${result.errors.join('\n  ')}`);
    return example;
  });
}

/** Plain JSON (no cdk8s Quantity objects, no undefined keys), as the YAML will hold it. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** `replaces` names an older CSV of this package, or nothing. */
function checkedReplaces(replaces: string | undefined, version: string): string | undefined {
  if (replaces === undefined) return undefined;
  const prefix = `${PACKAGE_NAME}.v`;
  const from = replaces.startsWith(prefix) ? replaces.slice(prefix.length) : '';
  if (!SEMVER.test(from)) throw new Error(`replaces "${replaces}" is not a CSV name of this package (${prefix}<semver>)`);
  if (from === version) throw new Error(`the CSV of ${version} cannot replace itself`);
  return replaces;
}

export function buildCsv(inputs: CsvInputs): Csv {
  if (!SEMVER.test(inputs.version)) throw new Error(`version "${inputs.version}" is not semver`);
  const name = csvName(inputs.version);
  const replaces = checkedReplaces(inputs.replaces ?? REPLACES, inputs.version);
  return {
    apiVersion: 'operators.coreos.com/v1alpha1',
    kind: 'ClusterServiceVersion',
    metadata: {
      name,
      // No createdAt: a timestamp would make every regeneration differ (the bundle is checked byte for byte).
      annotations: {
        'alm-examples': JSON.stringify(checkedExamples(inputs.examples), null, 2),
        capabilities: 'Basic Install',
        categories: 'Storage',
        containerImage: inputs.operatorImage,
        description: inputs.summary,
        repository: REPOSITORY_URL,
        support: PROVIDER.name,
        'olm.skipRange': `<${inputs.version}`,
        'operatorframework.io/suggested-namespace': SUGGESTED_NAMESPACE,
        // Written by the operator and its components, never by users: the console hides them from the
        // "create" views (they still show up in searches and `kubectl get`).
        'operators.operatorframework.io/internal-objects': JSON.stringify([
          'localvolumes.csi.aliyun.com',
          'nodelocalstorageinitconfigs.csi.aliyun.com',
          'nodelocalstorages.csi.aliyun.com',
        ]),
      },
    },
    spec: {
      displayName: DISPLAY_NAME,
      description: csvDescription(inputs.readme),
      version: inputs.version,
      ...(replaces === undefined ? {} : { replaces }),
      minKubeVersion: MIN_KUBE_VERSION,
      maturity: 'alpha',
      keywords: [...KEYWORDS],
      maintainers: MAINTAINERS.map((m) => ({ ...m })),
      provider: { ...PROVIDER },
      links: LINKS.map((l) => ({ ...l })),
      icon: csvIcon(),
      // The operator is cluster-wide by nature: OpenLocalCluster and every other kind it owns are
      // cluster-scoped, and it creates cluster-scoped operands (CSIDriver, StorageClasses) and an operand
      // namespace of the user's choosing. It never reads the OperatorGroup's target namespaces, so claiming
      // OwnNamespace/SingleNamespace/MultiNamespace would promise a confinement it does not have.
      installModes: [
        { type: 'OwnNamespace', supported: false },
        { type: 'SingleNamespace', supported: false },
        { type: 'MultiNamespace', supported: false },
        { type: 'AllNamespaces', supported: true },
      ],
      install: {
        strategy: 'deployment',
        spec: {
          // Cluster-wide: its own rules, with `bind` on the component roles the bundle ships (it does not hold them).
          clusterPermissions: [{ serviceAccountName: OPERATOR_NAME, rules: plain(toPolicyRules(operatorClusterRules())) }],
          // In its own namespace: its leader-election Lease (by name).
          permissions: [{ serviceAccountName: OPERATOR_NAME, rules: plain(toPolicyRules(operatorRules.namespaced)) }],
          deployments: [
            {
              name: OPERATOR_NAME,
              spec: plain(k8s.toJson_DeploymentSpec(operatorDeploymentSpec(inputs.operatorImage))),
            },
          ],
        },
      },
      customresourcedefinitions: { owned: plain(ownedCrds()) },
      relatedImages: relatedImages(inputs.operatorImage),
    },
  };
}
