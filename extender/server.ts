import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../lib/log.js';
import { version } from '../lib/version.js';
import type { AllocatorOptions } from './allocator/types.js';
import { cacheView } from './cache-view.js';
import type { Evaluator } from './evaluator.js';
import { filter, prioritize } from './handlers.js';
import type { ExtenderMetrics } from './metrics.js';
import { Insufficient, scheduleClaim } from './scheduling-api.js';
import type { ClusterState } from './state/cluster-state.js';
import { BadRequest, parseExtenderArgs } from './wire.js';

export interface ExtenderServerOptions {
  /** Interface to listen on; undefined listens on all. */
  readonly host: string | undefined;
  readonly port: number;
  /** PEM certificate and key: serve HTTPS. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Larger bodies get 413. kube-scheduler's filter body for 5,000 nodes (NodeNames) is about 150 KiB. */
  readonly maxBodyBytes: number;
  /** Time a client gets to send a whole request. */
  readonly requestTimeoutMs: number;
  readonly state: ClusterState;
  readonly evaluator: Evaluator;
  readonly allocator: AllocatorOptions;
  /** undefined when every cache has synced, else what is still missing. */
  readonly notReady: () => string | undefined;
  readonly registry: Registry;
  readonly metrics: ExtenderMetrics;
  readonly log: Logger;
}

export interface ExtenderServer {
  readonly port: number;
  close(): Promise<void>;
}

/** A text or JSON-serialisable body, or JSON already written (prioritize's, see wire.ts). */
type Reply = { status: number; body: unknown } | { status: number; json: Buffer };
const SCHEDULING_API = /^\/apis\/scheduling\/([^/]+)\/persistentvolumeclaims\/([^/]+)$/;
/** Longer than Go's http.Transport idle timeout (90 s): the scheduler closes idle connections first, never racing us. */
const KEEP_ALIVE_MS = 95_000;

/**
 * The extender's one port: Open-Local's routes (filter, prioritize, the CSI scheduling API, /cache, /metrics,
 * /version) plus /healthz and /readyz. Bodies are size-limited; a bad request gets a 4xx with a message and
 * never reaches the allocator; an unexpected failure is a 500 for that request only.
 */
export async function startExtenderServer(options: ExtenderServerOptions): Promise<ExtenderServer> {
  const { log, metrics } = options;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://extender');
    const route = routeName(url.pathname);
    const send = (reply: Reply): void => {
      const { status } = reply;
      const plain = 'body' in reply && typeof reply.body === 'string';
      const text = 'json' in reply ? reply.json : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      // A 413 ends the connection: a client that sends that much is not one to keep talking to.
      res.writeHead(status, { 'content-type': plain ? 'text/plain; charset=utf-8' : 'application/json', ...(status === 413 ? { connection: 'close' } : {}) }).end(text);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observe(route, status, seconds);
      // A 503 from /readyz is the answer while the caches sync (probed every few seconds), not a failure.
      if (status >= 500 && route !== 'readyz') log.error({ route, status, body: text.slice(0, 500).toString() }, 'request failed');
      else log.debug({ route, status, ms: seconds * 1000 }, 'request');
    };
    serve(req, url, options).then(send, (err: unknown) => {
      if (err instanceof BadRequest) send({ status: err.status, body: `${err.message}\n` });
      else if (err instanceof Insufficient) send({ status: 500, body: `${err.message}\n` });
      else send({ status: 500, body: `internal error: ${err instanceof Error ? err.message : String(err)}\n` });
    });
  };
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createHttpServer(handler);
  server.requestTimeout = options.requestTimeoutMs;
  server.headersTimeout = Math.min(options.requestTimeoutMs, 10_000);
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: options.host ?? '*', port, tls: Boolean(options.tls) }, 'extender serving');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

function routeName(path: string): string {
  if (path.startsWith('/scheduler/')) return path.slice('/scheduler/'.length);
  if (SCHEDULING_API.test(path)) return 'scheduling';
  return path.slice(1) || 'root';
}

async function serve(req: IncomingMessage, url: URL, o: ExtenderServerOptions): Promise<Reply> {
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const want = (...methods: string[]) => {
    if (!methods.includes(method)) throw new BadRequest(`${method} is not allowed on ${path}; use ${methods.join(' or ')}`, 405);
  };
  switch (path) {
    case '/healthz':
      return { status: 200, body: 'ok' };
    case '/readyz': {
      const missing = o.notReady();
      return missing === undefined ? { status: 200, body: 'ok' } : { status: 503, body: `not ready: ${missing}\n` };
    }
    case '/version':
      return { status: 200, body: version };
    case '/metrics':
      return { status: 200, body: await o.registry.metrics() };
    case '/cache':
      want('GET', 'POST');
      return { status: 200, body: cacheView(o.state, url.searchParams.get('nodeName')) };
    case '/scheduler/predicates': {
      want('POST');
      const args = parseExtenderArgs(await readBody(req, o.maxBodyBytes));
      const missing = o.notReady();
      // kube-scheduler shows Error in the pod's events; with ignorable: true it schedules without us meanwhile.
      if (missing !== undefined) return { status: 200, body: { NodeNames: [], FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: `open-local extender not ready: ${missing}` } };
      return { status: 200, body: filter(o.evaluator, args) };
    }
    case '/scheduler/priorities': {
      want('POST');
      const args = parseExtenderArgs(await readBody(req, o.maxBodyBytes));
      const missing = o.notReady();
      if (missing !== undefined) return { status: 503, body: `open-local extender not ready: ${missing}\n` };
      return { status: 200, json: prioritize(o.evaluator, args) };
    }
  }
  const scheduling = SCHEDULING_API.exec(path);
  if (scheduling) {
    want('POST');
    await readBody(req, o.maxBodyBytes);
    const missing = o.notReady();
    if (missing !== undefined) return { status: 503, body: `open-local extender not ready: ${missing}\n` };
    const [, namespace = '', name = ''] = scheduling;
    return { status: 200, body: scheduleClaim(o.state, o.allocator, decodeURIComponent(namespace), decodeURIComponent(name), url.searchParams.get('nodeName')) };
  }
  return { status: 404, body: `no route ${path}\n` };
}

/**
 * The request body as text; BadRequest 413 past `limit` bytes. The rest of a too-large body is read and dropped
 * before the 413 goes out: a client still writing when the connection closes sees EPIPE instead of the answer. The
 * server's request timeout bounds how long a client may keep sending.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = Number(req.headers['content-length'] ?? 0) > limit ? Infinity : 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => {
      if (size > limit) reject(new BadRequest(`request body larger than ${limit} bytes`, 413));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}
