import type { GetPluginCapabilitiesResponse, GetPluginInfoResponse, PluginCapability, ProbeResponse } from './grpc/messages.js';
import type { ServiceHandlers } from './grpc/server.js';

export interface IdentityOptions {
  readonly driverName: string;
  readonly version: string;
  /** Whether the controller service runs in this process (advertised only then). */
  readonly controller: boolean;
  /**
   * Real readiness: the API server answered and caches synced (controller), node tools found and the node's volumes
   * reconciled once (node). A Probe while not ready answers ready=false (the livenessprobe sidecar then reports
   * unhealthy, the kubelet waits) instead of failing calls later.
   */
  readonly ready: () => boolean;
}

/** The Identity service: who the driver is, what it can do, whether it is ready. */
export function identityService(options: IdentityOptions): ServiceHandlers {
  const capabilities: PluginCapability[] = [
    ...(options.controller ? [{ service: { type: 'CONTROLLER_SERVICE' as const } }] : []),
    { service: { type: 'VOLUME_ACCESSIBILITY_CONSTRAINTS' } },
    { volume_expansion: { type: 'ONLINE' } },
  ];
  return {
    GetPluginInfo: (): Promise<GetPluginInfoResponse> => Promise.resolve({ name: options.driverName, vendor_version: options.version }),
    GetPluginCapabilities: (): Promise<GetPluginCapabilitiesResponse> => Promise.resolve({ capabilities }),
    Probe: (): Promise<ProbeResponse> => Promise.resolve({ ready: { value: options.ready() } }),
  };
}
