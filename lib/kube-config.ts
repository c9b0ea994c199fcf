import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { CliError } from './cli-error.js';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Loads credentials explicitly: --kubeconfig, else $KUBECONFIG, else the pod's ServiceAccount. Unlike
 * client-node's loadFromDefault it never falls back to http://localhost:8080, which hides misconfiguration.
 */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else if (process.env.KUBECONFIG) kc.loadFromDefault();
  else if (process.env.KUBERNETES_SERVICE_HOST && existsSync(SERVICE_ACCOUNT_TOKEN)) kc.loadFromCluster();
  else throw new CliError('no Kubernetes credentials: pass --kubeconfig, set KUBECONFIG, or run in a pod with a ServiceAccount token');
  if (!kc.getCurrentCluster()) throw new CliError(`kubeconfig ${path ?? process.env.KUBECONFIG ?? ''} has no current cluster`);
  return kc;
}
