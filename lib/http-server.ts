import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from './log.js';

export interface HealthServerOptions {
  /** `host:port` or `:port`. */
  readonly address: string;
  readonly registry: Registry;
  /** /readyz answers 200 only while this is true (informers synced, leader or standby OK, ...). */
  readonly ready: () => boolean;
  readonly log: Logger;
}

/** Parses `:8080` / `127.0.0.1:8080` into host and port; throws on anything else. */
export function parseAddress(address: string): { host: string | undefined; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(address);
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new Error(`invalid address "${address}": want HOST:PORT or :PORT`);
  return { host: m[1] === '' ? undefined : m[1], port };
}

/** /healthz, /readyz and /metrics on a plain HTTP port, separate from any serving port. */
export async function startHealthServer(options: HealthServerOptions): Promise<Server> {
  const { host, port } = parseAddress(options.address);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (path === '/readyz') {
      const ok = options.ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'not ready');
    } else if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        (err: unknown) => {
          options.log.error({ err }, 'metrics collection failed');
          res.writeHead(500).end();
        },
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  options.log.info({ address: options.address }, 'serving /healthz, /readyz, /metrics');
  return server;
}
