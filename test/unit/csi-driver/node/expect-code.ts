import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { CsiError } from '../../../../csi-driver/grpc/errors.js';

/** Checks that `thrown` is a CsiError with `code` whose message matches every pattern. */
function checkCsiError(thrown: unknown, code: status, patterns: readonly RegExp[]): void {
  expect(thrown, 'expected a CsiError').to.be.instanceOf(CsiError);
  const e = thrown as CsiError;
  expect(status[e.code], e.message).to.equal(status[code]);
  for (const p of patterns) expect(e.message).to.match(p);
}

/** Runs `fn` and checks it throws a CsiError with `code` whose message matches every pattern. */
export function expectCsiError(fn: () => unknown, code: status, ...patterns: RegExp[]): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  checkCsiError(thrown, code, patterns);
}

/** The same for a promise that must reject. */
export async function expectCsiRejection(promise: Promise<unknown>, code: status, ...patterns: RegExp[]): Promise<void> {
  let thrown: unknown;
  try {
    await promise;
  } catch (err) {
    thrown = err;
  }
  checkCsiError(thrown, code, patterns);
}
