import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inCluster, loadKubeConfig, StaticAccess } from '../../../lib/kube-config.js';

const kubeconfig = (o: { server?: string; cluster?: object; user?: object; current?: string }) => JSON.stringify({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'c', cluster: { server: o.server ?? 'https://10.0.0.1:6443', ...o.cluster } }],
  users: [{ name: 'u', user: o.user ?? {} }],
  contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
  'current-context': o.current ?? 'ctx',
});

async function applied(access: ReturnType<typeof loadKubeConfig>): Promise<RequestOptions> {
  const opts: RequestOptions = { headers: { accept: 'application/json' } };
  await access.applyToHTTPSOptions(opts);
  return opts;
}

describe('kubeconfig loader (no client-node)', () => {
  let dir: string;
  const savedEnv = process.env['KUBECONFIG'];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kube-config-test-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (savedEnv === undefined) delete process.env['KUBECONFIG'];
    else process.env['KUBECONFIG'] = savedEnv;
  });

  it('reads certificate files relative to the kubeconfig and inline data, and sets them on each request', async () => {
    mkdirSync(join(dir, 'pki'));
    writeFileSync(join(dir, 'pki', 'ca.crt'), 'CA');
    writeFileSync(join(dir, 'pki', 'client.key'), 'KEY');
    const path = join(dir, 'config');
    writeFileSync(path, kubeconfig({ cluster: { 'certificate-authority': 'pki/ca.crt', 'tls-server-name': 'api.internal' }, user: { 'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key': 'pki/client.key' } }));
    const access = loadKubeConfig(path);
    expect(access.getCurrentCluster()?.server).to.equal('https://10.0.0.1:6443');
    const opts = await applied(access);
    expect(String(opts.ca)).to.equal('CA');
    expect(String(opts.cert)).to.equal('CERT');
    expect(opts.key).to.deep.equal(Buffer.from('KEY'));
    expect(opts.servername).to.equal('api.internal');
    expect(opts.rejectUnauthorized).to.equal(undefined);
    expect(opts.headers).to.deep.equal({ accept: 'application/json' });
  });

  it('sends a token as a bearer header, and skips verification only when the kubeconfig says so', async () => {
    const path = join(dir, 'config');
    writeFileSync(path, kubeconfig({ server: 'http://127.0.0.1:8001', cluster: { 'insecure-skip-tls-verify': true }, user: { token: 'abc' } }));
    const opts = await applied(loadKubeConfig(path));
    expect(opts.headers).to.deep.equal({ accept: 'application/json', authorization: 'Bearer abc' });
    expect(opts.rejectUnauthorized).to.equal(false);
  });

  it('reads a token file again once a minute (the kubelet rotates projected tokens)', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'first\n');
    const access = new StaticAccess({ server: 'https://x', tokenFile });
    const realNow = Date.now;
    let now = realNow();
    Date.now = () => now;
    try {
      expect((await applied(access)).headers).to.include({ authorization: 'Bearer first' });
      writeFileSync(tokenFile, 'second\n');
      expect((await applied(access)).headers).to.include({ authorization: 'Bearer first' });
      now += 60_000;
      expect((await applied(access)).headers).to.include({ authorization: 'Bearer second' });
    } finally {
      Date.now = realNow;
    }
  });

  it('merges $KUBECONFIG files as kubectl does: the first to name an entry or the current context wins', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(a, JSON.stringify({ 'current-context': 'ctx', users: [{ name: 'u', user: { token: 'from-a' } }] }));
    writeFileSync(b, kubeconfig({ user: { token: 'from-b' }, current: 'other' }));
    process.env['KUBECONFIG'] = `${a}:${join(dir, 'missing')}:${b}`;
    const access = loadKubeConfig();
    expect(access.getCurrentCluster()?.server).to.equal('https://10.0.0.1:6443');
    expect((await applied(access)).headers).to.include({ authorization: 'Bearer from-a' });
  });

  it('names the file when it has no current cluster, cannot be read or is not YAML', () => {
    const path = join(dir, 'config');
    writeFileSync(path, kubeconfig({ current: 'nope' }));
    expect(() => loadKubeConfig(path)).to.throw(`kubeconfig ${path} has no current cluster`);
    expect(() => loadKubeConfig(join(dir, 'absent'))).to.throw(`cannot read kubeconfig ${join(dir, 'absent')}`);
    writeFileSync(path, 'clusters: [');
    expect(() => loadKubeConfig(path)).to.throw(`kubeconfig ${path} is not YAML`);
    writeFileSync(path, kubeconfig({ cluster: { 'certificate-authority': 'gone.crt' } }));
    expect(() => loadKubeConfig(path)).to.throw(`cannot read ${join(dir, 'gone.crt')}, named in the kubeconfig`);
  });

  it('leaves an exec plugin to client-node, loaded only when a request needs credentials', async function () {
    // Loading client-node takes seconds on a busy machine: what the daemons no longer pay.
    this.timeout(30_000);
    const path = join(dir, 'config');
    writeFileSync(path, kubeconfig({ user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', 'echo \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-exec"}}\''], interactiveMode: 'Never' } } }));
    const access = loadKubeConfig(path);
    expect(access).to.not.be.instanceOf(StaticAccess);
    expect(access.getCurrentCluster()?.server).to.equal('https://10.0.0.1:6443');
    expect((await applied(access)).headers).to.include({ Authorization: 'Bearer from-exec' });
  });

  it('in a pod: the service host (IPv6 in brackets), its CA and token file', async () => {
    writeFileSync(join(dir, 'ca.crt'), 'CA');
    writeFileSync(join(dir, 'token'), 'sa-token');
    const access = inCluster('fd00::1', '443', dir);
    expect(access.getCurrentCluster().server).to.equal('https://[fd00::1]:443');
    const opts = await applied(access);
    expect(String(opts.ca)).to.equal('CA');
    expect(opts.headers).to.include({ authorization: 'Bearer sa-token' });
  });
});
