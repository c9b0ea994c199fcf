// The real Kubernetes CSI sidecars (csi-provisioner, csi-resizer, csi-snapshotter) and snapshot-controller as host
// processes against a test control plane and a CSI socket, and our driver behind that socket, run with exactly the
// flags and environment synth renders for an OpenLocalCluster. Only what a host process cannot take from a pod is
// changed: the socket path, a kubeconfig instead of the in-cluster config, leader election off (one replica, and no
// Lease to wait for), the pod's fieldRef environment resolved from a Pod object the test created, the pod's own HTTP
// ports (off, or an address the test gives), and --v=2 for the log lines the tests wait for.
import type { V1Container, V1Deployment, V1EnvVar } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { names } from '../../synth/names.js';
import { renderStack, type KubeObject } from '../../synth/render.js';
import { waitFor } from './net.js';
import { peerPath } from './peers.js';
import { startProcess, tailFile, type ManagedProcess } from './processes.js';

export const SIDECAR_NAMES = ['csi-provisioner', 'csi-resizer', 'csi-snapshotter', 'snapshot-controller'] as const;
export type SidecarName = (typeof SIDECAR_NAMES)[number];

/** The driver's container in the rendered CSI controller Deployment. */
const PLUGIN = 'csi-plugin';
/** Containers of the rendered CSI controller Deployment that are not sidecars run by this harness. */
const NOT_SIDECARS: ReadonlySet<string> = new Set([
  PLUGIN, // started by startCsiController
  'liveness-probe', // calls Probe for the kubelet's liveness check; there is no kubelet here
]);

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

export interface HostFlags {
  /** Path of the CSI driver's unix socket (replaces the pod's --csi-address). */
  readonly socket?: string;
  readonly kubeconfig: string;
  /** host:port for --http-endpoint (metrics and health). */
  readonly httpEndpoint?: string;
}

/** The pod whose name, namespace (and node) the rendered fieldRef env vars (POD_NAME, NODE_NAME, ...) resolve to. */
export interface PodRef {
  readonly name: string;
  readonly namespace: string;
  readonly nodeName?: string;
}

export interface SidecarCommand {
  readonly name: SidecarName;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

const flagName = (arg: string): string => arg.split('=', 1)[0] ?? arg;

/**
 * The rendered container args made runnable on the host: --csi-address points at `socket`, --kubeconfig and
 * --http-endpoint are set, leader election is off, and --v=2 makes the sidecars log the lines tests wait for
 * (the driver name they detected). Every other rendered flag is kept as it is.
 */
export function hostArgs(rendered: readonly string[], flags: HostFlags): string[] {
  const replaced = new Set(['--csi-address', '--kubeconfig', '--http-endpoint', '--v']);
  const kept = rendered.filter((a) => !replaced.has(flagName(a)) && !flagName(a).startsWith('--leader-election'));
  const hadAddress = rendered.some((a) => flagName(a) === '--csi-address');
  if (hadAddress && flags.socket === undefined) throw new Error(`args ${rendered.join(' ')} need a CSI socket`);
  return [
    ...(hadAddress ? [`--csi-address=${flags.socket ?? ''}`] : []),
    ...kept,
    `--kubeconfig=${flags.kubeconfig}`,
    '--leader-election=false',
    ...(flags.httpEndpoint ? [`--http-endpoint=${flags.httpEndpoint}`] : []),
    '--v=2',
  ];
}

/** The rendered env of a container, with fieldRefs to the pod's name, namespace and node resolved from `pod`. */
export function hostEnv(rendered: readonly V1EnvVar[] | undefined, container: string, pod: PodRef): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of rendered ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    if (e.value !== undefined) out[e.name] = e.value;
    else if (field === 'metadata.name') out[e.name] = pod.name;
    else if (field === 'metadata.namespace') out[e.name] = pod.namespace;
    else if (field === 'spec.nodeName' && pod.nodeName !== undefined) out[e.name] = pod.nodeName;
    else throw new Error(`container ${container}: env ${e.name} has a source a host process cannot resolve: ${JSON.stringify(e.valueFrom)}`);
  }
  return out;
}

function deployment(objects: readonly KubeObject[], name: string): V1Deployment | undefined {
  return objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
}

function isSidecar(name: string): name is SidecarName {
  return (SIDECAR_NAMES as readonly string[]).includes(name);
}

/**
 * The sidecar commands of a rendered stack: every sidecar container of the CSI controller Deployment and, when
 * rendered, the snapshot-controller Deployment. A rendered container this harness does not know is an error,
 * so a new sidecar in synth cannot silently go untested.
 */
export function sidecarCommands(
  objects: readonly KubeObject[],
  opts: {
    readonly socket: string;
    readonly kubeconfig: string;
    /** snapshot-controller's kubeconfig (its own ServiceAccount in the product). @default kubeconfig */
    readonly snapshotControllerKubeconfig?: string;
    readonly pod: PodRef;
    readonly httpEndpoints?: Partial<Record<SidecarName, string>>;
  },
): SidecarCommand[] {
  const containers: [V1Container, string][] = [
    ...(controllerDeployment(objects).spec?.template.spec?.containers ?? [])
      .filter((c) => !NOT_SIDECARS.has(c.name))
      .map((c): [V1Container, string] => [c, opts.kubeconfig]),
    ...(deployment(objects, names.snapshotController)?.spec?.template.spec?.containers ?? []).map(
      (c): [V1Container, string] => [c, opts.snapshotControllerKubeconfig ?? opts.kubeconfig],
    ),
  ];
  return containers.map(([c, kubeconfig]) => {
    if (!isSidecar(c.name)) throw new Error(`rendered container ${c.name} is not a sidecar this harness can run`);
    return {
      name: c.name,
      args: hostArgs(c.args ?? [], { socket: opts.socket, kubeconfig, httpEndpoint: opts.httpEndpoints?.[c.name] }),
      env: hostEnv(c.env, c.name, opts.pod),
    };
  });
}

function controllerDeployment(objects: readonly KubeObject[]): V1Deployment {
  const d = deployment(objects, names.csiController);
  if (!d) throw new Error(`the rendered stack has no Deployment ${names.csiController}`);
  return d;
}

/**
 * `open-local csi` as the rendered csi-plugin container runs it, with the endpoint at `socket`, a kubeconfig and
 * --http-addr at `httpAddress` (off by default): the argv after the CLI entry point, and its environment.
 */
export function controllerPluginCommand(
  objects: readonly KubeObject[],
  opts: { readonly socket: string; readonly kubeconfig: string; readonly pod: PodRef; readonly httpAddress?: string },
): { args: string[]; env: Record<string, string> } {
  const plugin = controllerDeployment(objects).spec?.template.spec?.containers.find((c) => c.name === PLUGIN);
  if (!plugin) throw new Error(`the rendered ${names.csiController} has no ${PLUGIN} container`);
  const rendered = plugin.args ?? [];
  if (!rendered.some((a) => flagName(a) === '--endpoint')) throw new Error(`${PLUGIN} args ${rendered.join(' ')} have no --endpoint`);
  return {
    args: [
      ...rendered.map((a) => (flagName(a) === '--endpoint' ? `--endpoint=unix://${opts.socket}` : a)).filter((a) => !['--kubeconfig', '--http-addr'].includes(flagName(a))),
      `--kubeconfig=${opts.kubeconfig}`,
      // The rendered port is the pod's own; on a shared host it is off unless the test asks for an address.
      `--http-addr=${opts.httpAddress ?? ''}`,
    ],
    env: hostEnv(plugin.env, PLUGIN, opts.pod),
  };
}

/** `$(VAR)` references in rendered args expanded from the container's env, as the kubelet does. */
function expandEnvRefs(arg: string, env: Readonly<Record<string, string>>): string {
  return arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (ref, name: string) => env[name] ?? ref);
}

/**
 * `open-local csi` as the rendered node DaemonSet's csi-plugin container runs it on `pod.nodeName`: `$(NODE_NAME)`
 * expanded, the endpoint at `socket`, a kubeconfig, and `extra` flags (e.g. --host-exec=direct where there is no
 * host namespace to enter). The argv after the CLI entry point, and its environment.
 */
export function nodePluginCommand(
  objects: readonly KubeObject[],
  opts: { readonly socket: string; readonly kubeconfig: string; readonly pod: PodRef; readonly extra?: readonly string[] },
): { args: string[]; env: Record<string, string> } {
  const ds = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === names.node) as { spec?: V1Deployment['spec'] } | undefined;
  const plugin = ds?.spec?.template.spec?.containers.find((c) => c.name === PLUGIN);
  if (!plugin) throw new Error(`the rendered stack has no DaemonSet ${names.node} with a ${PLUGIN} container`);
  const env = hostEnv(plugin.env, PLUGIN, opts.pod);
  const replaced = new Set(['--endpoint', '--kubeconfig', ...(opts.extra ?? []).map(flagName)]);
  return {
    args: [
      ...(plugin.args ?? []).filter((a) => !replaced.has(flagName(a))).map((a) => expandEnvRefs(a, env)),
      `--endpoint=unix://${opts.socket}`,
      `--kubeconfig=${opts.kubeconfig}`,
      ...(opts.extra ?? []),
    ],
    env,
  };
}

/** Our driver (`node bin/open-local.js csi --mode=controller ...` as rendered) on the host, serving `socket`. */
export function startCsiController(opts: {
  readonly cluster: unknown;
  readonly socket: string;
  readonly kubeconfig: string;
  readonly pod: PodRef;
  readonly logPath: string;
  readonly httpAddress?: string;
}): ManagedProcess {
  const cmd = controllerPluginCommand(renderStack(opts.cluster), opts);
  return startProcess({
    name: 'open-local csi (controller)',
    command: process.execPath,
    args: [join(REPO_ROOT, 'bin', 'open-local.js'), ...cmd.args],
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...cmd.env },
    cwd: REPO_ROOT,
    logPath: opts.logPath,
  });
}

export interface CsiSidecars {
  readonly commands: readonly SidecarCommand[];
  readonly processes: ReadonlyMap<SidecarName, ManagedProcess>;
  /** The running sidecar `name`; throws if synth did not render it. */
  process(name: SidecarName): ManagedProcess;
  /** Waits until `name`'s log matches `pattern`; fails with the log tail if it exits or the deadline passes. */
  waitForLog(name: SidecarName, pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM every sidecar (SIGKILL after 10 s) and waits for the exits. Idempotent. */
  stop(): Promise<void>;
}

export interface StartCsiSidecarsOptions {
  /**
   * The OpenLocalCluster whose rendered stack gives the flags. snapshot-controller runs only when it is rendered
   * (spec.csi.snapshots.deployController: true), as in the product.
   */
  readonly cluster: unknown;
  /** Path of the CSI controller's unix socket. */
  readonly socket: string;
  /** Kubeconfig the sidecars use (e.g. a ServiceAccount token's, to run with the rendered RBAC). */
  readonly kubeconfig: string;
  /** snapshot-controller's kubeconfig. @default kubeconfig */
  readonly snapshotControllerKubeconfig?: string;
  /** A Pod object that exists in the API server (csi-provisioner --enable-capacity owns its objects through it). */
  readonly pod: PodRef;
  /** Folder for the `<sidecar>.log` files. */
  readonly logDir: string;
  readonly httpEndpoints?: Partial<Record<SidecarName, string>>;
}

export function startCsiSidecars(opts: StartCsiSidecarsOptions): CsiSidecars {
  const commands = sidecarCommands(renderStack(opts.cluster), opts);
  // Resolve every binary first: a missing peer fails before anything starts, saying how to build it.
  const binaries = new Map(commands.map((c) => [c.name, peerPath(c.name)]));
  const processes = new Map<SidecarName, ManagedProcess>();
  for (const c of commands) {
    processes.set(
      c.name,
      startProcess({
        name: c.name,
        command: binaries.get(c.name) ?? c.name,
        args: c.args,
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...c.env },
        logPath: join(opts.logDir, `${c.name}.log`),
      }),
    );
  }
  const get = (name: SidecarName): ManagedProcess => {
    const p = processes.get(name);
    if (!p) throw new Error(`${name} was not rendered for this cluster (rendered: ${[...processes.keys()].join(', ')})`);
    return p;
  };
  let stopping: Promise<void> | undefined;
  return {
    commands,
    processes,
    process: get,
    async waitForLog(name, pattern, timeoutMs = 60_000) {
      const p = get(name);
      try {
        await waitFor(`${name} logging ${String(pattern)}`, async () => pattern.test(await readFile(p.logPath, 'utf8')), {
          timeoutMs,
          intervalMs: 200,
          abort: () => {
            const info = p.exitInfo();
            return info && `exited (code ${info.code ?? 'none'}, signal ${info.signal ?? 'none'})`;
          },
        });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        throw new Error(`${msg}\n--- ${p.logPath} (tail) ---\n${tailFile(p.logPath, 40)}`, { cause: err });
      }
    },
    stop() {
      stopping ??= Promise.all([...processes.values()].map((p) => p.stop(10_000))).then(() => undefined);
      return stopping;
    },
  };
}
