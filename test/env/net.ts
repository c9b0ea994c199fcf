// Small network helpers for the test harness: free ports, a raw HTTP(S) GET, polling.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';

/** `n` distinct TCP ports that were free on `host` a moment ago. */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const srv = createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, host, resolve);
      });
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') throw new Error('unexpected server address');
      ports.push(addr.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => { resolve(); }))));
  }
}

export interface HttpGetOptions {
  /** PEM CA to trust; when absent, the server certificate is not verified. */
  readonly ca?: string;
  readonly token?: string;
  readonly timeoutMs?: number;
}

/** GET an http(s) URL; resolves with status and body, rejects on connection errors. */
export function httpGet(url: string, opts: HttpGetOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const https = url.startsWith('https:');
    const request = https ? httpsRequest : httpRequest;
    const req = request(
      url,
      {
        method: 'GET',
        ...(https ? (opts.ca === undefined ? { rejectUnauthorized: false } : { ca: opts.ca }) : {}),
        headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
        timeout: opts.timeoutMs ?? 5000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `check` every `intervalMs` until it returns true, `abort` returns a reason (an Error is
 * thrown with it), or `timeoutMs` passes. The last check error is kept as the timeout's cause.
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    const reason = opts.abort?.();
    if (reason !== undefined) throw new Error(`${what}: ${reason}`);
    try {
      if (await check()) return;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}`, { cause: last });
    }
    await sleep(opts.intervalMs ?? 100);
  }
}
