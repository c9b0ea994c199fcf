// A real, throw-away Kubernetes control plane for integration tests, started the way envtest does:
// etcd + kube-apiserver on loopback (authentication and RBAC on), optionally kube-controller-manager
// and kube-scheduler. Every start is fresh (new etcd data dir, new PKI, new ports), and stop() or the
// process-exit hook leaves no process or temp dir behind.
import { CoreV1Api, KubeConfig, type V1ServiceAccount } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, httpGet, waitFor } from './net.js';
import { peerPath } from './peers.js';
import { netnsCommand, type TestNetns } from './netns.js';
import { createPki, issueClientCert, type Pki } from './pki.js';
import {
  registerTempDir,
  startProcess,
  tailFile,
  unregisterTempDir,
  type ManagedProcess,
} from './processes.js';

/** Controllers started by default: what Jobs, DaemonSets, Deployments and SA tokens need. */
export const DEFAULT_CONTROLLERS = [
  'job-controller',
  'cronjob-controller',
  'daemonset-controller',
  'deployment-controller',
  'replicaset-controller',
  'statefulset-controller',
  'garbage-collector-controller',
  'namespace-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'ttl-after-finished-controller',
  'persistentvolume-binder-controller',
] as const;

/**
 * kube-controller-manager for Nodes that kwok (test/env/kwok.ts) keeps alive: the default controllers plus the
 * node lifecycle controller, which lifts the `node.kubernetes.io/not-ready` taint once kwok reports a Node Ready
 * (DaemonSet pods do not tolerate it) and watches the Leases kwok renews; client limits raised so that thousands
 * of Nodes' DaemonSet and Job pods are created without minutes of client-side throttling.
 */
export const KWOK_CONTROLLER_MANAGER: ControllerManagerOptions = {
  controllers: [...DEFAULT_CONTROLLERS, 'node-lifecycle-controller'],
  flags: ['--kube-api-qps=200', '--kube-api-burst=400', '--concurrent-daemonset-syncs=4', '--concurrent-job-syncs=10'],
};

/** kube-scheduler client limits for thousands of pods to bind (the defaults, 50/100, throttle a 5,000-node DaemonSet). */
export const SCALE_SCHEDULER: SchedulerOptions = { clientConnection: { qps: 200, burst: 400 } };

/** kube-apiserver in-flight limits that kept 1,000 kwok Nodes and their controllers from being throttled here. */
export const SCALE_API_SERVER_FLAGS = ['--max-requests-inflight=800', '--max-mutating-requests-inflight=400'] as const;

export interface ControllerManagerOptions {
  /**
   * `--controllers` of kube-controller-manager. The node lifecycle controller is left out on
   * purpose: with no kubelets it would taint every Node unreachable.
   * @default DEFAULT_CONTROLLERS
   */
  readonly controllers?: readonly string[];
  /** Extra command-line flags. */
  readonly flags?: readonly string[];
}

export interface SchedulerOptions {
  /**
   * `extenders` entries of the KubeSchedulerConfiguration, as written in its YAML.
   * @see https://kubernetes.io/docs/reference/config-api/kube-scheduler-config.v1/#kubescheduler-config-k8s-io-v1-Extender
   */
  readonly extenders?: readonly object[];
  /** `clientConnection` fields besides the kubeconfig (e.g. `qps`, `burst`). */
  readonly clientConnection?: Readonly<Record<string, unknown>>;
  /** Extra top-level KubeSchedulerConfiguration fields (e.g. `profiles`). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Extra command-line flags. */
  readonly flags?: readonly string[];
}

export interface ControlPlaneOptions {
  /** Start kube-controller-manager. @default false */
  readonly withControllerManager?: boolean | ControllerManagerOptions;
  /** Start kube-scheduler. @default false */
  readonly withScheduler?: boolean | SchedulerOptions;
  /** Address kube-apiserver listens on. @default '127.0.0.1' */
  readonly bindAddress?: string;
  /** Extra names/IPs in the apiserver's serving certificate (e.g. an address a UML guest uses). */
  readonly extraSANs?: readonly string[];
  /** Where to write the admin kubeconfig. @default '<temp dir>/kubeconfig' */
  readonly kubeconfigPath?: string;
  /** Extra kube-apiserver flags. */
  readonly apiServerFlags?: readonly string[];
  /** How long each component may take to become ready. @default 60000 */
  readonly startTimeoutMs?: number;
  /**
   * Runs kube-apiserver inside this network namespace (a cluster network: cluster-network.ts), advertising
   * `address` (the bridge's), so that nodes and pods reach it there and it reaches every kubelet by its InternalIP
   * (`kubectl logs/exec`). etcd stays on the host, relayed into the namespace's loopback; the host (tests, the
   * controller-manager, the scheduler) reaches the apiserver at 127.0.0.1:<port> through a relay.
   */
  readonly network?: { readonly netns: TestNetns; readonly address: string };
}

export interface ControlPlane {
  /** https URL of kube-apiserver. */
  readonly server: string;
  /** Admin kubeconfig (user `admin` in group system:masters). */
  readonly kubeconfigPath: string;
  /** Temp dir holding PKI, etcd data and logs; removed by stop(). */
  readonly dir: string;
  /** PEM of the cluster CA. */
  readonly caCert: string;
  readonly pki: Pki;
  /** The processes started, in start order (etcd, kube-apiserver, ...). */
  readonly processes: readonly ManagedProcess[];
  /** A fresh admin KubeConfig. */
  adminKubeConfig(): KubeConfig;
  /**
   * A KubeConfig that authenticates as ServiceAccount `namespace/name` with a token from the
   * TokenRequest API, so a test acts with exactly that account's RBAC.
   */
  kubeConfigForServiceAccount(
    namespace: string,
    name: string,
    opts?: { expirationSeconds?: number; create?: boolean },
  ): Promise<KubeConfig>;
  /** Stops kube-apiserver, waits `downMs`, starts it again on the same port and waits until it is ready. */
  restartApiServer(downMs?: number): Promise<void>;
  /** Stops every process (SIGTERM, then SIGKILL) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const CLUSTER = 'open-local-test';
/** The Service ClusterIP range (kube-apiserver's and kube-controller-manager's --service-cluster-ip-range). */
export const SERVICE_CIDR = '10.0.0.0/24';

function kubeconfigText(server: string, caPem: string, user: string, token: string): string {
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: CLUSTER, cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } },
      ],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: CLUSTER, context: { cluster: CLUSTER, user } }],
      'current-context': CLUSTER,
    },
    null,
    2,
  ) + '\n';
}

/** Waits until `proc` answers `url` with 200, failing fast (with its log tail) if it exits. */
async function waitReady(proc: ManagedProcess, url: string, timeoutMs: number, ca?: string, token?: string): Promise<void> {
  await waitFor(
    `${proc.name} at ${url}`,
    async () => (await httpGet(url, { ca, token, timeoutMs: 2000 })).status === 200,
    {
      timeoutMs,
      intervalMs: 100,
      abort: () => {
        const info = proc.exitInfo();
        return info && `exited early (code ${info.code ?? 'none'}, signal ${info.signal ?? 'none'})`;
      },
    },
  );
}

function withTail(err: unknown, proc: ManagedProcess): Error {
  const msg = err instanceof Error ? err.message : String(err);
  return new Error(`${proc.name} did not start: ${msg}\n--- ${proc.logPath} (tail) ---\n${tailFile(proc.logPath, 40)}`, {
    cause: err,
  });
}

function isConflict(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 409;
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  // Resolve every binary first: a missing peer fails before anything starts, saying how to get it.
  const kcmOpts: ControllerManagerOptions | undefined =
    opts.withControllerManager === true ? {} : opts.withControllerManager === false ? undefined : opts.withControllerManager;
  const schedOpts: SchedulerOptions | undefined =
    opts.withScheduler === true ? {} : opts.withScheduler === false ? undefined : opts.withScheduler;
  const bin = {
    etcd: peerPath('etcd'),
    apiserver: peerPath('kube-apiserver'),
    kcm: kcmOpts ? peerPath('kube-controller-manager') : undefined,
    scheduler: schedOpts ? peerPath('kube-scheduler') : undefined,
  };
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const bindAddress = opts.bindAddress ?? '127.0.0.1';

  const dir = await mkdtemp(join(tmpdir(), 'open-local-cp-'));
  registerTempDir(dir);
  const procs: ManagedProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const p of [...procs].reverse()) await p.stop(10_000);
      await rm(dir, { recursive: true, force: true });
      unregisterTempDir(dir);
    })());

  try {
    await Promise.all(['pki', 'etcd-data', 'logs', 'kcm-certs', 'scheduler-certs'].map((d) => mkdir(join(dir, d))));
    const [etcdClient = 0, etcdPeer = 0, apiPort = 0, kcmPort = 0, schedPort = 0] = await freePorts(5);
    const serverHost = bindAddress === '0.0.0.0' ? '127.0.0.1' : bindAddress;
    const server = `https://${serverHost}:${apiPort}`;
    const pki = await createPki(join(dir, 'pki'), [
      'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local', '127.0.0.1', '10.0.0.1', serverHost, ...(opts.extraSANs ?? []),
      ...(opts.network ? [opts.network.address] : []),
    ]);
    const token = (): string => randomBytes(24).toString('hex');
    const tokens = { admin: token(), kcm: token(), scheduler: token() };
    const tokenFile = join(dir, 'pki', 'tokens.csv');
    await writeFile(
      tokenFile,
      [
        `${tokens.admin},admin,admin,"system:masters"`,
        `${tokens.kcm},system:kube-controller-manager,system:kube-controller-manager`,
        `${tokens.scheduler},system:kube-scheduler,system:kube-scheduler`,
      ].join('\n') + '\n',
      { mode: 0o600 },
    );
    const log = (name: string): string => join(dir, 'logs', `${name}.log`);

    // etcd
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = startProcess({
      name: 'etcd',
      command: bin.etcd,
      logPath: log('etcd'),
      args: [
        '--name=default', `--data-dir=${join(dir, 'etcd-data')}`,
        `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`, '--unsafe-no-fsync=true', '--log-level=warn',
      ],
    });
    procs.push(etcd);
    await waitReady(etcd, `${etcdUrl}/health`, timeoutMs).catch((e: unknown) => {
      throw withTail(e, etcd);
    });

    // kube-apiserver
    const network = opts.network;
    // The kubelets authenticate the apiserver's logs/exec/port-forward calls by a client certificate, as kubeadm's
    // apiserver-kubelet-client (in system:masters here, so the kubelets' webhook authorization allows it).
    const kubeletClient = network
      ? await issueClientCert(pki, join(dir, 'pki'), 'apiserver-kubelet-client', 'kube-apiserver-kubelet-client', ['system:masters'])
      : undefined;
    if (network) {
      await network.netns.forwardTcp(etcdClient, { host: '127.0.0.1', port: etcdClient }, { listenHost: '127.0.0.1' });
      await network.netns.exposeTcp(apiPort);
    }
    const apiServerArgs = (): string[] => [
        `--etcd-servers=${etcdUrl}`, `--bind-address=${network ? '0.0.0.0' : bindAddress}`, `--secure-port=${apiPort}`,
        `--advertise-address=${network ? network.address : serverHost === 'localhost' ? '127.0.0.1' : serverHost}`,
        `--tls-cert-file=${pki.servingCertPath}`, `--tls-private-key-file=${pki.servingKeyPath}`,
        `--client-ca-file=${pki.caCertPath}`, `--token-auth-file=${tokenFile}`,
        '--authorization-mode=Node,RBAC', '--anonymous-auth=false',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki.saPublicKeyPath}`,
        `--service-account-signing-key-file=${pki.saPrivateKeyPath}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`, '--allow-privileged=true',
        `--cert-dir=${join(dir, 'pki')}`, '--profiling=false', '--v=1',
        // Nodes are reached by the address they report, as on a real cluster; webhooks and aggregated APIs by their
        // endpoints' pod IPs (the namespace routes those, not Service IPs: kube-proxy runs on the nodes only).
        ...(network ? ['--kubelet-preferred-address-types=InternalIP', '--enable-aggregator-routing=true'] : []),
        ...(kubeletClient
          ? [`--kubelet-client-certificate=${kubeletClient.certPath}`, `--kubelet-client-key=${kubeletClient.keyPath}`]
          : []),
        ...(opts.apiServerFlags ?? []),
    ];
    const startApiServer = (): ManagedProcess => startProcess({
      name: 'kube-apiserver',
      ...netnsCommand(network?.netns, bin.apiserver, apiServerArgs()),
      logPath: log('kube-apiserver'),
    });
    const apiserver = startApiServer();
    procs.push(apiserver);
    await waitReady(apiserver, `${server}/readyz`, timeoutMs, pki.caCert, tokens.admin).catch((e: unknown) => {
      throw withTail(e, apiserver);
    });
    // The "default" namespace is created by a bootstrap controller just after /readyz turns 200.
    await waitReady(apiserver, `${server}/api/v1/namespaces/default`, timeoutMs, pki.caCert, tokens.admin).catch(
      (e: unknown) => {
        throw withTail(e, apiserver);
      },
    );

    const kubeconfigPath = opts.kubeconfigPath ?? join(dir, 'kubeconfig');
    const adminText = kubeconfigText(server, pki.caCert, 'admin', tokens.admin);
    await writeFile(kubeconfigPath, adminText, { mode: 0o600 });

    if (kcmOpts && bin.kcm) {
      const kubeconfig = join(dir, 'kcm.kubeconfig');
      await writeFile(kubeconfig, kubeconfigText(server, pki.caCert, 'system:kube-controller-manager', tokens.kcm));
      const kcm = startProcess({
        name: 'kube-controller-manager',
        command: bin.kcm,
        logPath: log('kube-controller-manager'),
        args: [
          `--kubeconfig=${kubeconfig}`, '--bind-address=127.0.0.1', `--secure-port=${kcmPort}`,
          `--cert-dir=${join(dir, 'kcm-certs')}`, '--leader-elect=false',
          `--controllers=${(kcmOpts.controllers ?? DEFAULT_CONTROLLERS).join(',')}`,
          '--use-service-account-credentials=true',
          `--service-account-private-key-file=${pki.saPrivateKeyPath}`, `--root-ca-file=${pki.caCertPath}`,
          `--service-cluster-ip-range=${SERVICE_CIDR}`, '--v=1',
          ...(kcmOpts.flags ?? []),
        ],
      });
      procs.push(kcm);
      await waitReady(kcm, `https://127.0.0.1:${kcmPort}/healthz`, timeoutMs).catch((e: unknown) => {
        throw withTail(e, kcm);
      });
    }

    if (schedOpts && bin.scheduler) {
      const kubeconfig = join(dir, 'scheduler.kubeconfig');
      await writeFile(kubeconfig, kubeconfigText(server, pki.caCert, 'system:kube-scheduler', tokens.scheduler));
      const configPath = join(dir, 'scheduler-config.yaml');
      const config = {
        apiVersion: 'kubescheduler.config.k8s.io/v1',
        kind: 'KubeSchedulerConfiguration',
        clientConnection: { kubeconfig, ...schedOpts.clientConnection },
        leaderElection: { leaderElect: false },
        ...(schedOpts.extenders ? { extenders: schedOpts.extenders } : {}),
        ...schedOpts.config,
      };
      await writeFile(configPath, JSON.stringify(config, null, 2) + '\n'); // JSON is YAML
      const schedulerArgs = [
        `--config=${configPath}`, '--bind-address=127.0.0.1', `--secure-port=${schedPort}`,
        `--cert-dir=${join(dir, 'scheduler-certs')}`, '--v=1',
        ...(schedOpts.flags ?? []),
      ];
      // In a cluster network the scheduler runs there, as on a control-plane node: it reaches an extender by the
      // Service URL synth renders (cluster-network.ts: cluster DNS, Service IPs routed to a node's kube-proxy).
      // The apiserver listens on all of the namespace's addresses, its loopback included.
      const scheduler = startProcess({
        name: 'kube-scheduler',
        ...netnsCommand(network?.netns, bin.scheduler, schedulerArgs),
        logPath: log('kube-scheduler'),
      });
      procs.push(scheduler);
      if (network) await network.netns.exposeTcp(schedPort);
      await waitReady(scheduler, `https://127.0.0.1:${schedPort}/healthz`, timeoutMs).catch((e: unknown) => {
        throw withTail(e, scheduler);
      });
    }

    const adminKubeConfig = (): KubeConfig => {
      const kc = new KubeConfig();
      kc.loadFromString(adminText);
      return kc;
    };

    return {
      server,
      kubeconfigPath,
      dir,
      caCert: pki.caCert,
      pki,
      processes: procs,
      adminKubeConfig,
      async restartApiServer(downMs = 0) {
        const index = procs.findIndex((p) => p.name === 'kube-apiserver');
        const old = procs[index];
        if (!old) throw new Error('kube-apiserver is not running');
        await old.stop(10_000);
        await new Promise((r) => setTimeout(r, downMs));
        const fresh = startApiServer();
        procs[index] = fresh;
        await waitReady(fresh, `${server}/readyz`, timeoutMs, pki.caCert, tokens.admin).catch((e: unknown) => {
          throw withTail(e, fresh);
        });
      },
      async kubeConfigForServiceAccount(namespace, name, saOpts = {}) {
        const core = adminKubeConfig().makeApiClient(CoreV1Api);
        if (saOpts.create) {
          await core.createNamespace({ body: { metadata: { name: namespace } } }).catch((e: unknown) => {
            if (!isConflict(e)) throw e;
          });
          const sa: V1ServiceAccount = { metadata: { name, namespace } };
          await core.createNamespacedServiceAccount({ namespace, body: sa }).catch((e: unknown) => {
            if (!isConflict(e)) throw e;
          });
        }
        const tr = await core.createNamespacedServiceAccountToken({
          namespace,
          name,
          body: { spec: { audiences: [], expirationSeconds: saOpts.expirationSeconds ?? 3600 } },
        });
        const saToken = tr.status?.token;
        if (!saToken) throw new Error(`TokenRequest for ServiceAccount ${namespace}/${name} returned no token`);
        const kc = new KubeConfig();
        kc.loadFromString(kubeconfigText(server, pki.caCert, `system:serviceaccount:${namespace}:${name}`, saToken));
        return kc;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
