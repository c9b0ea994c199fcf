import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { CsiError } from '../../../csi-driver/grpc/errors.js';
import { InFlight } from '../../../csi-driver/grpc/in-flight.js';

describe('csi-driver/grpc/in-flight', () => {
  it('answers ABORTED for a second operation on a busy key and frees the key afterwards', async () => {
    const inFlight = new InFlight();
    let release!: () => void;
    const first = inFlight.run('vol-1', () => new Promise<string>((r) => { release = () => { r('done'); }; }));
    const second = inFlight.run('vol-1', () => Promise.resolve('second'));
    const err = await second.then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(CsiError);
    expect((err as CsiError).code).to.equal(status.ABORTED);
    expect((err as CsiError).message).to.equal('an operation on vol-1 is already in progress');
    expect(await inFlight.run('vol-2', () => Promise.resolve('other key'))).to.equal('other key');
    release();
    expect(await first).to.equal('done');
    expect(await inFlight.run('vol-1', () => Promise.resolve('again'))).to.equal('again');
    expect(inFlight.size).to.equal(0);
  });

  it('frees the key when the operation fails', async () => {
    const inFlight = new InFlight();
    await inFlight.run('v', () => Promise.reject(new Error('boom'))).catch(() => undefined);
    expect(await inFlight.run('v', () => Promise.resolve(1))).to.equal(1);
  });
});
