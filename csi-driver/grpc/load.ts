/**
 * Loads csi.proto once. Decoding options are part of the driver's contract with its handlers (messages.ts): int64
 * are decimal strings (sizes beyond 2^53 survive), enums are their names, a oneof names its branch, unset messages
 * are null and unset scalars "" / "0" / false.
 */
import { loadSync } from '@grpc/proto-loader';
import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';

const PROTO = new URL('../proto/csi.proto', import.meta.url).pathname;

export const PROTO_LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true } as const;

export type CsiServiceName = 'Identity' | 'Controller' | 'Node';

let loaded: Record<CsiServiceName, ServiceDefinition> | undefined;

/** The three CSI services' definitions (method paths `/csi.v1.<Service>/<Method>`). */
export function csiServices(): Record<CsiServiceName, ServiceDefinition> {
  if (!loaded) {
    const pkg = loadPackageDefinition(loadSync(PROTO, PROTO_LOADER_OPTIONS));
    const v1 = (pkg.csi as GrpcObject).v1 as GrpcObject;
    const service = (name: CsiServiceName) => (v1[name] as unknown as { service: ServiceDefinition }).service;
    loaded = { Identity: service('Identity'), Controller: service('Controller'), Node: service('Node') };
  }
  return loaded;
}

/** A client constructor per service, for tests and tools (csi-sanity is the conformance client). */
export function csiClients(): Record<CsiServiceName, GrpcObject[string]> {
  const pkg = loadPackageDefinition(loadSync(PROTO, PROTO_LOADER_OPTIONS));
  const v1 = (pkg.csi as GrpcObject).v1 as GrpcObject;
  return { Identity: v1.Identity as GrpcObject[string], Controller: v1.Controller as GrpcObject[string], Node: v1.Node as GrpcObject[string] };
}
