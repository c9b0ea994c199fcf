// What scenarios share: waiting for what the user would wait for, applying objects, `kubectl exec` in a test pod,
// and running commands on a node itself through its node plugin pod.
import type { KubeObject } from '../../lib/kube-api.js';
import { eventually } from '../integration/support/kubelet-play.js';
import { NSENTER_PREFIX } from '../../lib/exec.js';
import { names, selectorLabels } from '../../synth/names.js';
import { STACK_NAMESPACE, type E2eCluster } from './cluster.js';

const NODE_PLUGIN_SELECTOR = Object.entries(selectorLabels(names.node)).map(([k, v]) => `${k}=${v}`).join(',');

/** Polls `check` until it returns a value; the error names what was awaited and the last failure. Each poll runs
 * kubectl or an API request, hence once a second by default. */
export function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000, intervalMs = 1000): Promise<T> {
  return eventually(what, check, timeoutMs, intervalMs);
}

export async function apply(c: E2eCluster, objects: readonly object[]): Promise<void> {
  await c.kubectl(['apply', '-f', '-'], { input: objects.map((o) => JSON.stringify(o)).join('\n') });
}

/** `kubectl exec` in a pod's (first) container; returns stdout. */
export function exec(c: E2eCluster, namespace: string, pod: string, command: readonly string[], how: ExecOptions = {}): Promise<string> {
  return execToEnd(c, ['-n', namespace, pod], command, how);
}

export interface ExecOptions {
  /** The command must not run twice (it appends, kills, ...): a cut connection fails the test instead of re-running it. */
  readonly once?: boolean;
}

/** Printed by the container's shell after the command, on a line of its own: stdout that lacks it was cut short. */
const END_MARKER = 'open-local-e2e-exec-end';
const EXEC_ATTEMPTS = 3;

/** `kubectl exec` that knows whether it saw the command's whole output. kubectl v1.34 exits 0 with whatever stdout
 * it got when the connection drops before the exit status arrives (kubernetes/kubernetes#137404); on a loaded
 * machine that returned an empty stdout for a command that prints a hash. So the container's shell prints an end
 * marker after the command (and keeps its exit code); without the marker the command is run again (it is written
 * to be re-runnable) or, for a `once` command, the test fails saying so. */
async function execToEnd(c: E2eCluster, target: readonly string[], command: readonly string[], how: ExecOptions): Promise<string> {
  const wrapped = ['sh', '-c', `"$@"; rc=$?; printf '\\n%s\\n' ${END_MARKER}; exit $rc`, 'sh', ...command];
  const end = `\n${END_MARKER}\n`;
  for (let attempt = 1; ; attempt++) {
    const out = await c.kubectl(['exec', ...target, '--', ...wrapped]);
    if (out.endsWith(end)) return out.slice(0, -end.length);
    const what = `kubectl exec ${target.join(' ')} -- ${command.join(' ').slice(0, 120)}: the connection ended before the command did (${out.length} bytes of stdout, no end marker)`;
    if (how.once || attempt === EXEC_ATTEMPTS) throw new Error(`${what}${how.once ? '; not re-run, the command must run once' : `, ${attempt} times`}`);
    process.stdout.write(`      ${what}; running it again\n`);
  }
}

type ContainerStatus = { name: string; state?: Record<string, { reason?: string; message?: string } | undefined> };
type Pod = KubeObject & {
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[]; containerStatuses?: ContainerStatus[] };
};

/** Where a pod is and what holds it: its node, phase, unmet conditions and waiting containers, on one line. */
function describePod(p: Pod | undefined): string {
  if (!p) return 'no such pod';
  const conditions = (p.status?.conditions ?? []).filter((x) => x.status !== 'True').map((x) => `${x.type}=${x.status}${x.reason ? ` ${x.reason}` : ''}${x.message ? `: ${x.message}` : ''}`);
  const waiting = (p.status?.containerStatuses ?? []).flatMap((s) => {
    const [state, detail] = Object.entries(s.state ?? {})[0] ?? [];
    return state && state !== 'running' ? [`${s.name} ${state}${detail?.reason ? ` ${detail.reason}` : ''}${detail?.message ? `: ${detail.message}` : ''}`] : [];
  });
  return [`${p.status?.phase ?? 'no phase'} on ${p.spec?.nodeName || 'no node'}`, ...conditions, ...waiting].join('; ');
}

/** Waits for a pod to be Running and Ready; returns it (with its node). A timeout says what held it last. */
export function podRunning(c: E2eCluster, namespace: string, name: string, timeoutMs = 180_000): Promise<Pod> {
  return waitFor(`pod ${namespace}/${name} Running and Ready`, async () => {
    const p = await c.api.get<Pod>('v1', 'Pod', name, namespace);
    if (p?.status?.phase === 'Running' && p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) return p;
    throw new Error(`last seen: ${describePod(p)}`);
  }, timeoutMs);
}

/** The busybox image of the nodes' image disk (test/env/kubelet-node/test-images.ts): the one program of a test pod. */
export { BUSYBOX_IMAGE as BUSYBOX } from '../env/kubelet-node/test-images.js';

/** Skips the current test (with why) unless this run booted the cluster itself. */
export function needsOwnCluster(ctx: Mocha.Context, c: E2eCluster): NonNullable<E2eCluster['dev']> {
  if (!c.dev) ctx.skip();
  return c.dev;
}

/** The node plugin pod on `node`. */
export async function nodePluginPod(c: E2eCluster, node: string): Promise<string> {
  const pod = (await c.kubectl(['get', 'pods', '-n', STACK_NAMESPACE, '-l', NODE_PLUGIN_SELECTOR, '--field-selector', `spec.nodeName=${node}`, '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  if (!pod) throw new Error(`no node plugin pod on ${node}`);
  return pod;
}

/** Runs a shell script on the node itself (its mount, network and IPC namespaces), through its node plugin pod. */
export function onNode(c: E2eCluster, node: string, script: string, how: ExecOptions = {}): Promise<string> {
  return inCsiPlugin(c, node, [...NSENTER_PREFIX, 'sh', '-c', script], how);
}

/** A shell script run in the CSI node plugin container on `node` (its view of the host's LVM, /dev and cgroups). */
export function inNodePlugin(c: E2eCluster, node: string, script: string): Promise<string> {
  return inCsiPlugin(c, node, ['sh', '-c', script], {});
}

/** `command` in the csi-plugin container of `node`'s node plugin pod. */
async function inCsiPlugin(c: E2eCluster, node: string, command: readonly string[], how: ExecOptions): Promise<string> {
  return execToEnd(c, ['-n', STACK_NAMESPACE, await nodePluginPod(c, node), '-c', 'csi-plugin'], command, how);
}
