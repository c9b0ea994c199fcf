import type { Chart } from 'cdk8s';
import { names } from '../names.js';
import { env, healthProbes, HTTP_PORT, resources, restrictedContainer } from '../pod-parts.js';
import type { ResolvedSpec } from '../resolved-spec.js';
import { addDeployment } from './deployment.js';

/** The NLS controller (Open-Local's `controller`): one NodeLocalStorage per node from the init config. */
export function addController(chart: Chart, spec: ResolvedSpec): void {
  addDeployment(chart, spec, names.controller, {
    replicas: 1,
    containers: [
      {
        name: 'controller',
        image: spec.images.openLocal,
        imagePullPolicy: spec.images.pullPolicy,
        args: [
          'controller',
          `--init-config=${names.nlsc}`,
          `--http-addr=:${HTTP_PORT}`,
          `--log-level=${spec.logLevel}`,
          '--leader-elect=true',
        ],
        env: [env.podName, env.podNamespace],
        ports: [{ name: 'http', containerPort: HTTP_PORT }],
        ...healthProbes('http'),
        resources: resources('20m', '64Mi', '256Mi'),
        securityContext: restrictedContainer,
      },
    ],
  });
}
