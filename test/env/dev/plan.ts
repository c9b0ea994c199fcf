// The pure parts of `open-local dev up` / `dev down` (dev-cluster.ts does the I/O): the command line, the node
// names, the example cluster pointed at the guests' disks, progress lines, condition changes and the final verdict.

/** The guests' storage disks, in the order kubelet-node.ts attaches them (/dev/ubda is containerd's). */
export const GUEST_DISKS = ['/dev/ubdb', '/dev/ubdc'] as const;

export const DEFAULT_NODES = 2;
export const MAX_NODES = 8;

export type DevArgs =
  | { readonly command: 'up'; readonly nodes: number; readonly example: string | undefined; readonly readyTimeoutS: number }
  | { readonly command: 'down' };

export const DEV_USAGE = `usage: open-local dev up [--nodes N] [--example FILE] [--ready-timeout SECONDS]
       open-local dev down`;

/** Parses `dev up ...` / `dev down`; throws an Error whose message is what the user reads. */
export function parseDevArgs(argv: readonly string[]): DevArgs {
  const [command, ...rest] = argv;
  if (command === 'down') {
    if (rest.length > 0) throw new Error(`dev down takes no arguments (got ${rest.join(' ')})\n${DEV_USAGE}`);
    return { command: 'down' };
  }
  if (command !== 'up') throw new Error(`${command === undefined ? 'missing subcommand' : `unknown subcommand "${command}"`}\n${DEV_USAGE}`);
  let nodes = DEFAULT_NODES;
  let example: string | undefined;
  let readyTimeoutS = 300;
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = (): string => {
      const v = inline ?? rest[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value\n${DEV_USAGE}`);
      return v;
    };
    if (flag === '--nodes') nodes = positiveInt(flag, value(), MAX_NODES);
    else if (flag === '--example') example = value();
    else if (flag === '--ready-timeout') readyTimeoutS = positiveInt(flag, value(), 3600);
    else throw new Error(`unknown flag ${flag}\n${DEV_USAGE}`);
  }
  return { command: 'up', nodes, example, readyTimeoutS };
}

function positiveInt(flag: string, text: string, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max) throw new Error(`${flag} must be a whole number from 1 to ${max} (got "${text}")`);
  return n;
}

export function devNodeNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `dev-node-${i}`);
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The example with every device it asks to initialise replaced by a guest disk: within each storage config block
 * (globalConfig and every nodesConfig entry), the distinct devices in order of appearance (VG devices, then
 * mount point devices) become /dev/ubdb, /dev/ubdc, ... `forceDevices` follow their devices. A block naming more
 * devices than a guest has is refused, naming it.
 */
export function pointAtGuestDisks(cluster: unknown, disks: readonly string[] = GUEST_DISKS): Json {
  if (!isObject(cluster) || cluster['kind'] !== 'OpenLocalCluster') throw new Error('the example is not an OpenLocalCluster');
  const copy = structuredClone(cluster);
  const storage = isObject(copy['spec']) && isObject(copy['spec']['storage']) ? copy['spec']['storage'] : undefined;
  if (!storage) return copy;
  const blocks: [string, unknown][] = [['spec.storage.globalConfig', storage['globalConfig']]];
  if (Array.isArray(storage['nodesConfig'])) storage['nodesConfig'].forEach((b, i) => blocks.push([`spec.storage.nodesConfig[${i}]`, b]));
  for (const [where, block] of blocks) {
    const init = isObject(block) && isObject(block['resourceToBeInited']) ? block['resourceToBeInited'] : undefined;
    if (!init) continue;
    const vgs = Array.isArray(init['vgs']) ? init['vgs'].filter(isObject) : [];
    const mounts = Array.isArray(init['mountpoints']) ? init['mountpoints'].filter(isObject) : [];
    const seen = [...new Set([...vgs.flatMap((vg) => strings(vg['devices'])), ...mounts.flatMap((m) => strings([m['device']]))])];
    if (seen.length > disks.length) {
      throw new Error(`${where} initialises ${seen.length} devices (${seen.join(', ')}); a dev node has ${disks.length} disks (${disks.join(', ')})`);
    }
    const to = new Map(seen.map((d, i) => [d, disks[i]!]));
    for (const vg of vgs) {
      vg['devices'] = strings(vg['devices']).map((d) => to.get(d)!);
      if (vg['forceDevices'] !== undefined) vg['forceDevices'] = strings(vg['forceDevices']).map((d) => to.get(d) ?? d);
    }
    for (const m of mounts) if (typeof m['device'] === 'string') m['device'] = to.get(m['device']);
  }
  return copy;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** One progress line: elapsed since `dev up` began, the step, and the node it concerns if any. */
export function progressLine(elapsedMs: number, step: string, node?: string): string {
  return `[${(elapsedMs / 1000).toFixed(1).padStart(6)} s] ${step}${node ? ` (${node})` : ''}`;
}

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

const conditionText = (c: Condition): string => `${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ''}${c.message ? `: ${c.message}` : ''}`;

/** The conditions that appeared or changed (status, reason or message) from `before` to `after`, one line each. */
export function conditionChanges(before: readonly Condition[], after: readonly Condition[]): string[] {
  const old = new Map(before.map((c) => [c.type, conditionText(c)]));
  return after.map(conditionText).filter((text, i) => old.get(after[i]!.type) !== text);
}

/**
 * Why the cluster is not Ready, from its conditions: the Ready condition's reason and message, then every other
 * condition that is not in its good state (Degraded and Progressing are good False; the rest good True).
 */
export function notReadyExplanation(conditions: readonly Condition[]): string {
  const ready = conditions.find((c) => c.type === 'Ready');
  if (!ready) return 'the operator has not written a Ready condition (is it running? see its pod log)';
  const bad = conditions.filter((c) => c.type !== 'Ready' && c.status !== (['Degraded', 'Progressing'].includes(c.type) ? 'False' : 'True'));
  return [`Ready=${ready.status}${ready.reason ? ` (${ready.reason})` : ''}${ready.message ? `: ${ready.message}` : ''}`, ...bad.map((c) => `  ${conditionText(c)}`)].join('\n');
}

/** Rows printed as `kubectl get` does: columns padded to their widest cell, three spaces apart. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ')).join('\n');
}

/** What `dev up` records under .dev/ for `dev down` (and for the user: the kubeconfig). */
export interface DevState {
  readonly pid: number;
  readonly kubeconfig: string;
  readonly startedAt: string;
}

export function parseDevState(text: string): DevState {
  const v: unknown = JSON.parse(text);
  if (!isObject(v) || typeof v['pid'] !== 'number' || typeof v['kubeconfig'] !== 'string' || typeof v['startedAt'] !== 'string') {
    throw new Error('the dev state file is not one dev up wrote');
  }
  return { pid: v['pid'], kubeconfig: v['kubeconfig'], startedAt: v['startedAt'] };
}
