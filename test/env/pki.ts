// Throw-away PKI for a test control plane: a CA, a serving certificate signed by it, and the
// service-account signing key pair. Certificates come from the openssl CLI (node:crypto cannot
// issue X.509); the signing key from node:crypto.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pki {
  readonly caCertPath: string;
  readonly caKeyPath: string;
  /** PEM of the CA certificate. */
  readonly caCert: string;
  readonly servingCertPath: string;
  readonly servingKeyPath: string;
  readonly saPrivateKeyPath: string;
  readonly saPublicKeyPath: string;
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', [...args]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('openssl not found: apt-get install -y openssl', { cause: err });
    throw new Error(`openssl ${args[0] ?? ''} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

/**
 * Creates the PKI in `dir`. `hosts` are the serving certificate's subject alternative names
 * (IP addresses or DNS names).
 */
export async function createPki(dir: string, hosts: readonly string[]): Promise<Pki> {
  const p = (f: string): string => join(dir, f);
  const days = '30';
  await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', days, '-subj', '/CN=open-local-test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const san = [...new Set(hosts)].map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-CA', p('ca.crt'), '-CAkey', p('ca.key'),
    '-keyout', p('serving.key'), '-out', p('serving.crt'), '-days', days, '-subj', '/CN=kube-apiserver',
    '-addext', `subjectAltName=${san}`, '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment', '-addext', 'extendedKeyUsage=serverAuth',
  ]);
  const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await writeFile(p('sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(p('sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    caCertPath: p('ca.crt'),
    caKeyPath: p('ca.key'),
    caCert: await readFile(p('ca.crt'), 'utf8'),
    servingCertPath: p('serving.crt'),
    servingKeyPath: p('serving.key'),
    saPrivateKeyPath: p('sa.key'),
    saPublicKeyPath: p('sa.pub'),
  };
}

export interface ClientCert {
  readonly certPath: string;
  readonly keyPath: string;
}

/**
 * Issues a client certificate signed by the PKI's CA into `dir`/`<file>.crt` and `.key`: the apiserver (with
 * --client-ca-file) authenticates it as user `commonName` in `groups` (the certificate's O= fields), e.g. a kubelet
 * as `system:node:<name>` in `system:nodes`.
 */
export async function issueClientCert(
  pki: Pki,
  dir: string,
  file: string,
  commonName: string,
  groups: readonly string[],
): Promise<ClientCert> {
  if (!/^[\w.-]+$/.test(file)) throw new Error(`issueClientCert: bad file name '${file}'`);
  // openssl -subj syntax: '/' separates fields, so a name holding '/' or '=' would change the subject.
  for (const part of [commonName, ...groups]) {
    if (/[/=\\]/.test(part)) throw new Error(`issueClientCert: '${part}' holds a character openssl -subj cannot take`);
  }
  const certPath = join(dir, `${file}.crt`);
  const keyPath = join(dir, `${file}.key`);
  await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-CA', pki.caCertPath, '-CAkey', pki.caKeyPath,
    '-keyout', keyPath, '-out', certPath, '-days', '30',
    '-subj', [...groups.map((g) => `/O=${g}`), `/CN=${commonName}`].join(''),
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment', '-addext', 'extendedKeyUsage=clientAuth',
  ]);
  return { certPath, keyPath };
}
