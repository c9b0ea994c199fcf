// A loopback HTTP proxy in front of the test API server that misbehaves on request: it answers the first LISTs
// of a collection with chosen error statuses, can hold, expire (410 Gone) or inject bookmarks into the
// watches passing through, and can stop answering for a while or altogether. Clients reach it with a kubeconfig (plain http,
// the admin token passed through).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadKubeConfig, type KubeAccess } from '../../../lib/kube-config.js';
import type { ControlPlane } from '../../env/control-plane.js';
import { tokenOf } from './raw-api.js';

export interface ApiProxy {
  /** A kubeconfig file that talks to the API server through the proxy. */
  readonly kubeconfigPath: string;
  kubeConfig(): KubeAccess;
  /** Answers the next LISTs (not watches) of `collection` (e.g. `/api/v1/nodes`) with these statuses, one each. */
  failLists(collection: string, statuses: readonly number[]): void;
  /** How many GETs of `collection` (not watches) the proxy saw, failed and unanswered ones included. */
  listCount(collection: string): number;
  /** The resourceVersion of every watch of `collection` opened through the proxy, in order. */
  watchVersions(collection: string): readonly string[];
  /** Number of watches of `collection` open right now. */
  openWatches(collection: string): number;
  /** Drops everything the API server sends on the open watches of `collection` from now on. */
  holdWatches(collection: string): void;
  /** Ends the open watches of `collection` with an ERROR event of code 410 (as after etcd compaction). */
  expireWatches(collection: string): void;
  /** Sends a BOOKMARK at `resourceVersion` on the open watches of `collection`. */
  bookmark(collection: string, apiVersion: string, kind: string, resourceVersion: string): void;
  /** Ends the open watches of `collection` cleanly (as the server's timeoutSeconds does). */
  endWatches(collection: string): void;
  /** From now on accepts every request and never answers it (a hung API server or network). */
  blackhole(): void;
  /** Ends a blackhole: new requests are answered again (the ones it swallowed never are, as with a dead connection). */
  answerAgain(): void;
  close(): Promise<void>;
}

interface OpenWatch {
  readonly collection: string;
  readonly res: ServerResponse;
  held: boolean;
  end(): void;
}

export async function startApiProxy(cp: ControlPlane, dir: string): Promise<ApiProxy> {
  const upstream = new URL(cp.server);
  const failures = new Map<string, number[]>();
  const lists = new Map<string, number>();
  const versions = new Map<string, string[]>();
  const watches = new Set<OpenWatch>();
  let hanging = false;

  const answerError = (res: ServerResponse, status: number): void => {
    const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `injected ${status} by the test proxy`, reason: status === 429 ? 'TooManyRequests' : 'InternalError', code: status });
    res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '1' } : {}) });
    res.end(body);
  };

  const forward = (req: IncomingMessage, res: ServerResponse, url: URL, watch: OpenWatch | undefined): void => {
    const up = request(
      new URL(url.pathname + url.search, upstream),
      { method: req.method, headers: { ...req.headers, host: upstream.host }, ca: cp.caCert },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (!watch) {
          upRes.pipe(res);
          return;
        }
        // The API server answers a watch's headers at once; so does the proxy, not with the first event.
        res.flushHeaders();
        // Forward whole lines only, so injected events never split one of the server's.
        let partial = '';
        upRes.setEncoding('utf8');
        upRes.on('data', (chunk: string) => {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop() ?? '';
          if (!watch.held) for (const line of lines) res.write(line + '\n');
        });
        upRes.on('end', () => {
          watch.end();
        });
        upRes.on('error', () => {
          watch.end();
        });
      },
    );
    up.on('error', () => {
      if (watch) watch.end();
      else res.destroy();
    });
    res.on('close', () => {
      up.destroy();
    });
    req.pipe(up);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const collection = url.pathname;
    const isWatch = url.searchParams.get('watch') === 'true';
    if (req.method === 'GET' && !isWatch) {
      lists.set(collection, (lists.get(collection) ?? 0) + 1);
      if (hanging) return;
      const planned = failures.get(collection);
      const status = planned?.shift();
      if (status !== undefined) {
        answerError(res, status);
        return;
      }
    }
    if (hanging) return;
    if (req.method === 'GET' && isWatch) {
      versions.set(collection, [...(versions.get(collection) ?? []), url.searchParams.get('resourceVersion') ?? '']);
      const watch: OpenWatch = {
        collection,
        res,
        held: false,
        end: () => {
          watches.delete(watch);
          if (!res.writableEnded) res.end();
        },
      };
      watches.add(watch);
      res.on('close', () => watches.delete(watch));
      forward(req, res, url, watch);
      return;
    }
    forward(req, res, url, undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const kubeconfigPath = join(dir, 'proxy-kubeconfig');
  const token = tokenOf(cp.adminKubeConfig());
  await writeFile(
    kubeconfigPath,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'proxy', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'admin', user: { token } }],
      contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'admin' } }],
      'current-context': 'proxy',
    }),
  );
  const open = (collection: string) => [...watches].filter((w) => w.collection === collection);

  return {
    kubeconfigPath,
    kubeConfig: () => loadKubeConfig(kubeconfigPath),
    failLists: (collection, statuses) => failures.set(collection, [...statuses]),
    listCount: (collection) => lists.get(collection) ?? 0,
    watchVersions: (collection) => versions.get(collection) ?? [],
    openWatches: (collection) => open(collection).length,
    holdWatches: (collection) => {
      for (const w of open(collection)) w.held = true;
    },
    expireWatches: (collection) => {
      for (const w of open(collection)) {
        w.res.write(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version', reason: 'Expired', code: 410 } }) + '\n');
        w.end();
      }
    },
    bookmark: (collection, apiVersion, kind, resourceVersion) => {
      for (const w of open(collection)) w.res.write(JSON.stringify({ type: 'BOOKMARK', object: { apiVersion, kind, metadata: { resourceVersion } } }) + '\n');
    },
    endWatches: (collection) => {
      for (const w of open(collection)) w.end();
    },
    blackhole: () => {
      hanging = true;
    },
    answerAgain: () => {
      hanging = false;
    },
    close: async () => {
      for (const w of watches) w.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
