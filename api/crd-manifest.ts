/** The subset of a CustomResourceDefinition that open-local generates and reads back. */
export interface CrdManifest {
  readonly apiVersion: 'apiextensions.k8s.io/v1';
  readonly kind: 'CustomResourceDefinition';
  readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    readonly group: string;
    readonly scope: 'Cluster' | 'Namespaced';
    readonly names: {
      readonly kind: string;
      readonly listKind: string;
      readonly plural: string;
      readonly singular: string;
      readonly shortNames: readonly string[];
      readonly categories: readonly string[];
    };
    readonly versions: readonly {
      readonly name: string;
      readonly served: boolean;
      readonly storage: boolean;
      readonly schema: { readonly openAPIV3Schema: Readonly<Record<string, unknown>> };
      readonly subresources?: { readonly status: Readonly<Record<string, never>> };
      readonly additionalPrinterColumns?: readonly Readonly<Record<string, unknown>>[];
      readonly selectableFields?: readonly { readonly jsonPath: string }[];
    }[];
  };
}
