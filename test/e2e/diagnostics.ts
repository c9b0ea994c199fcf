// What a failing scenario prints: the kubectl state a user would look at first, the last log lines of the
// operator, the CSI controller and every node plugin, each node's LVM state (run on the node itself, through the node
// plugin pod, as the plugin runs LVM), and, for the guests this run booted, whether each still runs and its kubelet's last lines.
import type { E2eCluster } from './cluster.js';
import { STACK_NAMESPACE } from './cluster.js';
import { OPERATOR_NAMESPACE } from '../env/dev-cluster.js';
import { NSENTER_PREFIX } from '../../lib/exec.js';
import { nodeLogTails, probeNode } from '../env/kubelet-node.js';
import { names, selectorLabels } from '../../synth/names.js';

const selector = (component: Parameters<typeof selectorLabels>[0]): string =>
  Object.entries(selectorLabels(component)).map(([k, v]) => `${k}=${v}`).join(',');

export async function diagnose(c: E2eCluster): Promise<string> {
  const out: string[] = ['', '======== e2e diagnostics ========'];
  const section = async (title: string, args: readonly string[]): Promise<string> => {
    const text = await c.kubectl(args, { timeoutMs: 30_000 }).catch((err: unknown) => `(${err instanceof Error ? err.message : String(err)})`);
    out.push(`---- ${title}: kubectl ${args.join(' ')}`, text.trimEnd());
    return text;
  };
  await section('cluster', ['get', 'openlocalcluster', '-o', 'wide']);
  await section('cluster conditions', ['get', 'openlocalcluster', '-o', 'jsonpath={range .items[*].status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\\n"}{end}']);
  await section('node storage', ['get', 'nodelocalstorage', '-o', 'wide']);
  await section('nodes', ['get', 'nodes', '-o', 'wide']);
  await section('pods', ['get', 'pods', '-A', '-o', 'wide']);
  await section('volumes', ['get', 'pvc,pv,volumesnapshot', '-A', '-o', 'wide']);
  await section('events', ['get', 'events', '-A', '--sort-by=.lastTimestamp']).then((t) => {
    const lines = out.pop()!.split('\n');
    out.push(lines.slice(-40).join('\n'));
    return t;
  });
  await section('operator log', ['logs', '-n', OPERATOR_NAMESPACE, `deployment/${names.operator}`, '--tail=40', '--all-containers']);
  // A container that restarted: why its last run ended (leadership lost, a crash, a liveness kill) is in its previous log.
  const restarted = await c.kubectl(['get', 'pods', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace} {.metadata.name}{range .status.containerStatuses[*]} {.name}={.restartCount}{end}{"\\n"}{end}'], { timeoutMs: 30_000 }).catch(() => '');
  for (const line of restarted.split('\n').filter(Boolean)) {
    const [ns, pod, ...containers] = line.split(' ');
    if (ns !== OPERATOR_NAMESPACE && ns !== STACK_NAMESPACE) continue;
    for (const entry of containers) {
      const [container, count] = entry.split('=');
      if (Number(count) > 0) await section(`${pod}/${container} before its last restart (${count} restarts)`, ['logs', '-n', ns, pod!, '-c', container!, '--previous', '--tail=25']);
    }
  }
  await section('CSI controller log', ['logs', '-n', STACK_NAMESPACE, `deployment/${names.csiController}`, '--tail=30', '--all-containers']);
  const pods = await c.kubectl(['get', 'pods', '-n', STACK_NAMESPACE, '-l', selector(names.node), '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName}{"\\n"}{end}'], { timeoutMs: 30_000 }).catch(() => '');
  for (const line of pods.split('\n').filter(Boolean)) {
    const [pod, node] = line.split(' ');
    await section(`node plugin on ${node ?? '?'}`, ['logs', '-n', STACK_NAMESPACE, pod!, '-c', 'csi-plugin', '--tail=30']);
    await section(`agent on ${node ?? '?'}`, ['logs', '-n', STACK_NAMESPACE, pod!, '-c', 'agent', '--tail=20']);
    await section(`LVM on ${node ?? '?'}`, ['exec', '-n', STACK_NAMESPACE, pod!, '-c', 'csi-plugin', '--', ...NSENTER_PREFIX, 'sh', '-c', 'vgs; lvs -o lv_name,vg_name,lv_size,lv_attr,origin,lv_tags; lsblk -o NAME,SIZE,FSTYPE,MOUNTPOINT']);
  }
  // The guests this run booted: one that ended on its own explains every kubelet that stopped answering.
  for (const node of c.dev?.nodes ?? []) {
    const ended = node.guestEnded();
    out.push(`---- guest of ${node.name}: ${ended ?? `running; ${await probeNode(node)}`}`, nodeLogTails(node));
  }
  out.push('======== end of e2e diagnostics ========');
  return out.join('\n');
}
