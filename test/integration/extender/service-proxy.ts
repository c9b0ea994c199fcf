// Lets a host process (the test's kube-scheduler) reach "the extender's Service" by the URL synth renders
// (http://open-local-scheduler-extender.<ns>.svc:23000/scheduler), so that URL is used verbatim: the scheduler
// runs with HTTP_PROXY pointing here (Go's extender client honours it), and this forward proxy sends requests
// for that one host to the extender's real loopback port.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServiceProxy {
  readonly url: string;
  /** Requests forwarded so far, by path (proof that kube-scheduler called the extender). */
  readonly forwarded: Map<string, number>;
  /** Where requests go now (changes when the extender restarts on another port). */
  target: number;
  close(): Promise<void>;
}

export async function startServiceProxy(serviceHost: string, target: number): Promise<ServiceProxy> {
  const forwarded = new Map<string, number>();
  const proxy: { target: number } = { target };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://invalid');
    if (url.hostname !== serviceHost) {
      res.writeHead(502).end(`this test proxy only reaches ${serviceHost}, not ${url.hostname}\n`);
      return;
    }
    forwarded.set(url.pathname, (forwarded.get(url.pathname) ?? 0) + 1);
    const upstream = request({ host: '127.0.0.1', port: proxy.target, method: req.method, path: url.pathname + url.search, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (err) => {
      res.writeHead(502).end(`extender unreachable: ${err.message}\n`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    get target() {
      return proxy.target;
    },
    set target(value: number) {
      proxy.target = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
