import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CliError } from '../lib/cli-error.js';
import { parseFlags } from '../lib/flags.js';
import { renderInstall, renderPrepareVgJob, renderStack, toYaml, type KubeObject } from './render.js';
import { InvalidClusterError } from './resolved-spec.js';

export const synthUsage = `Usage: open-local synth [flags]

Prints Kubernetes manifests as YAML.
  (no -f)              the operator's own install: namespace, CRDs, RBAC (with every component's
                       ClusterRole), Deployment
  -f, --file FILE      every operand of the OpenLocalCluster in FILE ("-" = stdin); its RBAC binds the
                       ClusterRoles of the install, so apply the install first
  --node NAME          with -f: also the prepare-VG Job for node NAME
  --node-labels K=V,.. with --node: that node's labels (they select its nodesConfig entry)
  -o, --output DIR     write one file per object into DIR instead of printing
  --namespace NS       operator namespace for the install (default open-local-system)
  --image IMAGE        operator image for the install (default: the pinned open-local image)`;

/** `open-local synth`: render the install or a cluster's operands, print or write them. */
export function runSynth(argv: readonly string[]): void {
  const { values } = parseFlags('synth', argv, {
    file: { type: 'string', short: 'f' },
    node: { type: 'string' },
    'node-labels': { type: 'string' },
    output: { type: 'string', short: 'o' },
    namespace: { type: 'string' },
    image: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(synthUsage);
    return;
  }
  if (values.node !== undefined && values.file === undefined) throw new CliError('open-local synth: --node needs -f FILE');
  let objects: KubeObject[];
  if (values.file === undefined) {
    objects = renderInstall({ namespace: values.namespace, image: values.image });
  } else {
    const cluster = readCluster(values.file);
    objects = renderOrExplain(() => renderStack(cluster), values.file);
    if (values.node !== undefined) objects.push(renderPrepareVgJob(cluster, values.node, parseLabels(values['node-labels'] ?? '')));
  }
  if (values.output === undefined) {
    process.stdout.write(toYaml(objects));
    return;
  }
  mkdirSync(values.output, { recursive: true });
  objects.forEach((o, i) => {
    const file = `${String(i).padStart(3, '0')}-${o.kind.toLowerCase()}-${o.metadata.name}.yaml`;
    writeFileSync(join(values.output ?? '.', file), toYaml([o]));
  });
  console.error(`wrote ${objects.length} files to ${values.output}`);
}

function readCluster(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(`open-local synth: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new CliError(`open-local synth: ${file} is empty`);
  const objects = docs.map((d) => {
    if (d.errors.length > 0) throw new CliError(`open-local synth: ${file} is not valid YAML: ${d.errors[0]?.message ?? ''}`);
    return d.toJS() as unknown;
  });
  const clusters = objects.filter((o) => isKind(o, 'OpenLocalCluster'));
  if (clusters.length !== 1) {
    throw new CliError(`open-local synth: ${file} must hold exactly one OpenLocalCluster (found ${clusters.length})`);
  }
  return clusters[0];
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(',').filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`open-local synth: --node-labels: "${pair}" is not KEY=VALUE`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

function isKind(o: unknown, kind: string): boolean {
  return typeof o === 'object' && o !== null && (o as { kind?: unknown }).kind === kind;
}

function renderOrExplain(render: () => KubeObject[], file: string): KubeObject[] {
  try {
    return render();
  } catch (err) {
    if (err instanceof InvalidClusterError) {
      throw new CliError(`open-local synth: ${file}: the OpenLocalCluster is invalid:\n  ${err.errors.join('\n  ')}`);
    }
    throw err;
  }
}
