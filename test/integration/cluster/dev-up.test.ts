// `open-local dev up` as a user runs it (the CLI, in its own process): two UML kubelet nodes, OLM installs the
// operator (CSV Succeeded, its pod Running on a real node), the example cluster is applied and Ready comes or is
// explained; then `open-local dev down` from another process leaves no process, namespace, tap, mount,
// /etc/netns entry or temp dir behind.
import { expect } from 'chai';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeApi, type KubeObject } from '../../../lib/kube-api.js';
import { loadKubeConfig } from '../../../lib/kube-config.js';
import { operatorPods, OPERATOR_NAMESPACE } from '../../env/dev-cluster.js';
import { STATE_FILE } from '../../env/dev/cli.js';
import { OPERATORS_V1ALPHA1 } from '../../env/olm.js';
import { pidAlive } from '../../env/processes.js';
import { repoRoot } from '../../fixtures/examples.js';
import { eventually } from '../support/kubelet-play.js';
import { load } from './support.js';

const CLI = ['--import', 'tsx', join(repoRoot, 'bin', 'open-local.ts'), 'dev'];
const netnsList = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean);
const tempDirs = (): string[] => readdirSync(tmpdir()).filter((d) => d.startsWith('open-local-'));

/** Every descendant of `pid` (the guests, control plane, OLM, opm, CoreDNS started by dev up). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const stat = (() => { try { return readFileSync(`/proc/${e}/stat`, 'utf8'); } catch { return ''; } })();
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parent.set(Number(e), ppid);
  }
  const out: number[] = [];
  const walk = (p: number): void => { for (const [c, pp] of parent) if (pp === p) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}

describe('open-local dev up / dev down', function () {
  this.timeout(1_200_000);
  let up: ChildProcess | undefined;
  let log = '';
  const seen = { netns: new Set<string>(), dirs: new Set<string>() };

  before(() => {
    expect(existsSync(STATE_FILE), `${STATE_FILE}: a dev cluster is up; dev down first`).to.equal(false);
    seen.netns = new Set(netnsList());
    seen.dirs = new Set(tempDirs());
  });
  after(() => {
    if (up?.pid && pidAlive(up.pid)) process.kill(up.pid, 'SIGTERM');
  });

  it('brings up 2 nodes, the operator through OLM on a real node, applies the example and reaches Ready', async () => {
    const t0 = Date.now();
    up = spawn(process.execPath, [...CLI, 'up', '--ready-timeout', '420'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    up.stdout?.on('data', (b: Buffer) => { log += b.toString(); process.stdout.write(`      ${b.toString().trimEnd().replaceAll('\n', '\n      ')}\n`); });
    up.stderr?.on('data', (b: Buffer) => { log += b.toString(); });
    await eventually('dev up to print how to use the cluster', () => Promise.resolve(log.includes('kubeconfig: ') || log.includes('dev up failed') ? true : undefined), 1_100_000);
    console.log(`      warm start to the final status: ${Date.now() - t0} ms (load ${load()})`);
    expect(log).to.not.include('dev up failed');
    expect(log, 'the OpenLocalCluster Ready').to.match(/(?<!waiting for )OpenLocalCluster open-local Ready$/m);

    const api = new KubeApi(loadKubeConfig(join(repoRoot, '.dev', 'kubeconfig')));
    const csvs = (await api.list<KubeObject & { status?: { phase?: string } }>(OPERATORS_V1ALPHA1, 'ClusterServiceVersion', { namespace: OPERATOR_NAMESPACE })).items;
    expect(csvs.map((c) => c.status?.phase)).to.deep.equal(['Succeeded']);
    const pods = await operatorPods(api);
    expect(pods, 'operator pods').to.not.be.empty;
    const where = pods.map((p) => `${p.metadata?.name ?? ''}: ${p.status?.phase ?? ''} on ${p.spec?.nodeName ?? ''}`);
    expect(where.filter((w) => !/: Running on dev-node-\d+$/.test(w)), 'operator pods not Running on a dev node').to.deep.equal([]);
    expect(await api.get('csi.aliyun.com/v1alpha1', 'OpenLocalCluster', 'open-local')).to.not.equal(undefined);
    expect(log).to.include('NAME').and.include('dev-node-0').and.include('dev-node-1').and.include('export KUBECONFIG=');
  });

  it('dev down from another process removes every process, namespace, tap, mount, /etc/netns entry and temp dir it made', () => {
    if (!up?.pid) throw new Error('dev up did not start');
    const pids = descendants(up.pid);
    // Other sessions on this machine make namespaces and temp dirs too: only those dev up's processes use count.
    const netns = netnsList().filter((n) => !seen.netns.has(n) && execFileSync('ip', ['netns', 'pids', n], { encoding: 'utf8' }).split('\n').map(Number).some((p) => pids.includes(p)));
    const uses = pids.map((p) => { try { return readFileSync(`/proc/${p}/cmdline`, 'utf8') + readFileSync(`/proc/${p}/environ`, 'utf8'); } catch { return ''; } }).join('\n');
    const dirs = tempDirs().filter((d) => !seen.dirs.has(d) && uses.includes(join(tmpdir(), d)));
    // Each check first sees what it checks while the cluster runs, so it cannot pass by looking in the wrong place.
    expect(pids.length, 'guests, control plane, OLM, opm, CoreDNS').to.be.greaterThan(8);
    expect(netns).to.have.length(1);
    expect(execFileSync('ip', ['netns', 'exec', netns[0]!, 'ip', '-o', 'link'], { encoding: 'utf8' })).to.include('tap');
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).to.include(`/run/netns/${netns[0]!}`);
    expect(existsSync(`/etc/netns/${netns[0]!}`)).to.equal(true);
    expect(dirs.length, 'control plane, nodes, CoreDNS, OLM, catalog').to.be.greaterThan(4);

    const t0 = Date.now();
    execFileSync(process.execPath, [...CLI, 'down'], { cwd: repoRoot, stdio: 'inherit' });
    console.log(`      dev down: ${Date.now() - t0} ms (load ${load()})`);
    expect(pidAlive(up.pid)).to.equal(false);
    expect(pids.filter(pidAlive), 'processes left').to.deep.equal([]);
    expect(netnsList()).to.not.include(netns[0]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).to.not.include(netns[0]);
    expect(existsSync(`/etc/netns/${netns[0]!}`)).to.equal(false);
    expect(dirs.filter((d) => existsSync(join(tmpdir(), d))), 'temp dirs left').to.deep.equal([]);
    expect(existsSync(join(repoRoot, '.dev'))).to.equal(false);
  });
});
