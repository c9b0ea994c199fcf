// A CSI client for tests: the real proto, promisified unary calls, the status code of a refusal.
import { credentials, type Client, type ServiceError } from '@grpc/grpc-js';
import { csiClients, type CsiServiceName } from '../../../../csi-driver/grpc/load.js';

export type CsiCall = <Res = Record<string, unknown>>(method: string, request?: object) => Promise<Res>;

export interface CsiTestClient {
  readonly identity: CsiCall;
  readonly controller: CsiCall;
  readonly node: CsiCall;
  close(): void;
}

/** Connects to `unix://<socketPath>`; every call has a deadline so a hung driver fails the test instead of stalling it. */
export function csiClient(socketPath: string, deadlineMs = 120_000): CsiTestClient {
  const ctors = csiClients();
  const clients: Client[] = [];
  const caller = (service: CsiServiceName): CsiCall => {
    const Ctor = ctors[service] as unknown as new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client;
    const client = new Ctor(`unix://${socketPath}`, credentials.createInsecure());
    clients.push(client);
    return <Res>(method: string, request: object = {}) =>
      new Promise<Res>((resolve, reject) => {
        const fn = (client as unknown as Record<string, (req: object, opts: object, cb: (err: ServiceError | null, res: Res) => void) => void>)[method];
        if (!fn) throw new Error(`no CSI method ${service}.${method}`);
        fn.call(client, request, { deadline: Date.now() + deadlineMs }, (err, res) => {
          if (err) reject(err);
          else resolve(res);
        });
      });
  };
  return {
    identity: caller('Identity'),
    controller: caller('Controller'),
    node: caller('Node'),
    close: () => {
      for (const c of clients) c.close();
    },
  };
}

/** The gRPC status code a call was refused with (throws if it succeeded). */
export async function refusedWith(call: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as ServiceError;
    if (typeof e.code === 'number') return { code: e.code, details: e.details };
    throw err;
  }
  throw new Error('the call succeeded; a refusal was expected');
}
