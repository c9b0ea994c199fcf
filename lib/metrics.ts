import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { RequestObserver } from './kube-api.js';

/** A process registry with Node's default metrics and the component label. */
export function createRegistry(component: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Counts API requests by verb and status code (`open_local_kube_requests_total`), the figure that proves a
 * steady state costs zero writes. Returns the observer to hand to KubeApi.
 */
export function kubeRequestMetrics(registry: Registry): RequestObserver {
  const counter = new Counter({
    name: 'open_local_kube_requests_total',
    help: 'Kubernetes API requests, by HTTP verb and status code',
    labelNames: ['verb', 'code'] as const,
    registers: [registry],
  });
  return (verb, _path, status) => {
    counter.inc({ verb, code: String(status) });
  };
}
