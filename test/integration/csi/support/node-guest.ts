// A CSI storage node for integration tests: a UML guest (real LVM) with N disks that reaches the test's real
// kube-apiserver through a tap device (test/env/netns.ts) with a ServiceAccount token, runs a node command of ours
// (node/tsx, from the checkout through hostfs) in the background, runs shell snippets the host sends it while that
// command is up, and on stop collects the `lvs` report. Other CSI tests reuse it for their node plugins.
//
// Host ↔ guest channel: files in a host directory the guest sees through hostfs. The host writes cmd/<n>.sh
// (atomically, by rename); the guest runs them in order and writes cmd/<n>.out and cmd/<n>.rc; `kill-node` and
// `start-node` crash and restart the node command; the file `stop` ends the node command and the guest.
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlPlane } from '../../../env/control-plane.js';
import { createNetns, type TestNetns } from '../../../env/netns.js';
import { runInUml, shellQuote, type UmlDisk, type UmlResult } from '../../../env/uml.js';
import { eventually } from '../../support/kubelet-play.js';

/** What a poll returns once the guest halted: stop waiting and report. */
const GONE = Symbol('guest halted');

export const NODE_BIN = join(process.cwd(), '.tools', 'node', 'bin');

export interface NodeGuestOptions {
  readonly cp: ControlPlane;
  /** The netns from createNetns(); the control plane must list its hostIp in extraSANs. */
  readonly netns: TestNetns;
  readonly disks: readonly UmlDisk[];
  /** Shell run first, as root (create PVs/VGs, filesystems, by-id links). */
  readonly setup: string;
  /** argv of the node command started in the background once setup is done (cwd: the checkout). */
  readonly command: readonly string[];
  /** Extra environment for the command; KUBECONFIG, NODE_BIN and OUT are set. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Who the command authenticates as (its RBAC is the caller's): a bearer token (e.g. one bound to a pod on the
   * node, which carries the node-name claim admission checks), or a ServiceAccount to get a fresh token for.
   */
  readonly identity: { readonly token: string } | { readonly serviceAccount: { readonly namespace: string; readonly name: string } };
  /** @default 600000 */
  readonly timeoutMs?: number;
}

export interface NodeGuest {
  /** The shared directory: the command's log is node.log, the final report lvs.json. */
  readonly out: string;
  /** Resolves when setup is done and the node command was started. */
  started(): Promise<void>;
  /** Runs a shell snippet in the guest; resolves with its exit code and output. */
  sh(script: string, timeoutMs?: number): Promise<{ code: number; output: string }>;
  /** Like sh, but throws with the output when the exit code is not 0. */
  ok(script: string, timeoutMs?: number): Promise<string>;
  /** Kills the node command with SIGKILL (a crash: no cleanup of its own) and waits until it is gone. */
  killNode(): Promise<void>;
  /** Starts the node command again after killNode(); its output is appended to node.log. */
  startNode(): Promise<void>;
  /** Stops the node command (SIGTERM), waits for the guest to halt, returns its result and the final `lvs`. */
  stop(): Promise<{ uml: UmlResult; nodeRc: number; lvs: unknown }>;
  /** The node command's log so far. */
  log(): Promise<string>;
  /** Removes the shared directory. */
  dispose(): Promise<void>;
}

function guestScript(opts: NodeGuestOptions): string {
  const command = opts.command.map(shellQuote).join(' ');
  return `set -u
export PATH="$NODE_BIN:$PATH"
(
${opts.setup}
) >"$OUT/setup.log" 2>&1 || { echo "setup failed" >>"$OUT/setup.log"; exit 90; }
${command} >>"$OUT/node.log" 2>&1 &
PID=$!
touch "$OUT/started"
n=0
while :; do
  if [ -e "$OUT/kill-node" ]; then
    kill -KILL $PID 2>/dev/null; wait $PID 2>/dev/null
    rm "$OUT/kill-node"
    continue
  fi
  if [ -e "$OUT/start-node" ]; then
    ${command} >>"$OUT/node.log" 2>&1 &
    PID=$!
    rm "$OUT/start-node"
    continue
  fi
  if [ -e "$OUT/cmd/$n.sh" ]; then
    sh "$OUT/cmd/$n.sh" >"$OUT/cmd/$n.out" 2>&1
    echo $? >"$OUT/cmd/$n.rc.tmp" && mv "$OUT/cmd/$n.rc.tmp" "$OUT/cmd/$n.rc"
    n=$((n + 1))
    continue
  fi
  [ -e "$OUT/stop" ] && break
  sleep 0.2
done
kill -TERM $PID 2>/dev/null
wait $PID
echo $? >"$OUT/node.rc"
lvm lvs --reportformat json --units b --nosuffix -o lv_name,vg_name,lv_uuid,lv_size,origin,lv_tags >"$OUT/lvs.json"
`;
}

/** A kubeconfig for the guest: the identity's token, the API server at the tap address. */
async function guestKubeconfig(cp: ControlPlane, netns: TestNetns, identity: NodeGuestOptions['identity']): Promise<string> {
  const port = new URL(cp.server).port;
  const token = 'token' in identity
    ? identity.token
    : ((await cp.kubeConfigForServiceAccount(identity.serviceAccount.namespace, identity.serviceAccount.name, { create: true, expirationSeconds: 7200 })).getCurrentUser()?.token ?? '');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server: `https://${netns.hostIp}:${port}`, 'certificate-authority-data': Buffer.from(cp.caCert).toString('base64') } }],
    users: [{ name: 'node', user: { token } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'node' } }],
    'current-context': 'test',
  });
}

export async function startNodeGuest(opts: NodeGuestOptions): Promise<NodeGuest> {
  const out = await mkdtemp(join(tmpdir(), 'open-local-csi-node-'));
  await mkdir(join(out, 'cmd'));
  const port = Number(new URL(opts.cp.server).port);
  const forward = await opts.netns.forwardTcp(port, { host: '127.0.0.1', port });
  await writeFile(join(out, 'kubeconfig'), await guestKubeconfig(opts.cp, opts.netns, opts.identity), { mode: 0o600 });
  await writeFile(join(out, 'guest.sh'), guestScript(opts));
  const uml = runInUml({
    disks: opts.disks,
    tap: { netns: opts.netns.name, device: opts.netns.tap, address: opts.netns.guestCidr },
    command: { script: join(out, 'guest.sh') },
    env: { OUT: out, NODE_BIN, KUBECONFIG: join(out, 'kubeconfig'), ...opts.env },
    timeoutMs: opts.timeoutMs ?? 600_000,
  });
  let halted: UmlResult | Error | undefined;
  uml.then((r) => (halted = r), (e: unknown) => (halted = e instanceof Error ? e : new Error(String(e))));
  const text = (name: string) => readFile(join(out, name), 'utf8').catch(() => undefined);
  const guestGone = async (what: string): Promise<never> => {
    const r = halted;
    throw new Error(`the guest halted while ${what}: ${r instanceof Error ? r.message : `exit ${r?.exitCode}: ${r?.output}`}\n--- setup.log ---\n${(await text('setup.log')) ?? ''}\n--- node.log ---\n${(await text('node.log')) ?? ''}`);
  };
  let next = 0;

  const sh = async (script: string, timeoutMs = 120_000) => {
    const n = next++;
    await writeFile(join(out, 'cmd', `${n}.tmp`), `set -u\n${script}\n`);
    await rename(join(out, 'cmd', `${n}.tmp`), join(out, 'cmd', `${n}.sh`));
    const rc = await eventually(`guest command ${n} (${script.slice(0, 60)})`, async () => (halted !== undefined ? GONE : text(join('cmd', `${n}.rc`))), timeoutMs);
    if (rc === GONE) return guestGone(`running command ${n}`);
    return { code: Number(rc.trim()), output: (await text(join('cmd', `${n}.out`))) ?? '' };
  };

  /** Asks the guest loop for `request` and waits until it took it (it removes the file). */
  const ask = async (request: string) => {
    await writeFile(join(out, request), '');
    const r = await eventually(`the guest to take ${request}`, async () => (halted !== undefined ? GONE : (await text(request)) === undefined ? true : undefined), 60_000);
    if (r === GONE) await guestGone(request);
  };

  return {
    out,
    killNode: () => ask('kill-node'),
    startNode: () => ask('start-node'),
    async started() {
      const r = await eventually('the guest to finish setup and start the node command', async () => (halted !== undefined ? GONE : await text('started')), 300_000);
      if (r === GONE) await guestGone('setting up');
    },
    sh,
    async ok(script, timeoutMs) {
      const r = await sh(script, timeoutMs);
      if (r.code !== 0) throw new Error(`guest command failed (exit ${r.code}): ${script}\n${r.output}`);
      return r.output;
    },
    async stop() {
      await writeFile(join(out, 'stop'), '');
      try {
        const result = await uml;
        const lvsText = await text('lvs.json');
        return { uml: result, nodeRc: Number((await text('node.rc'))?.trim() ?? 'NaN'), lvs: lvsText === undefined ? undefined : (JSON.parse(lvsText) as unknown) };
      } finally {
        await forward.stop();
      }
    },
    log: async () => (await text('node.log')) ?? '',
    dispose: () => rm(out, { recursive: true, force: true }),
  };
}

export { createNetns };
