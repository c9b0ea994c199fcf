import { expect } from 'chai';
import { inParallel } from '../../../operator/in-parallel.js';

describe('inParallel (a reconcile\'s writes, a bounded number in flight)', () => {
  it('keeps at most `limit` tasks in flight, starts the next as one ends, and returns results in item order', async () => {
    let inFlight = 0;
    let most = 0;
    const started: number[] = [];
    const results = await inParallel([5, 1, 4, 2, 3, 1, 1], 3, async (ms) => {
      started.push(ms);
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, ms * 5));
      inFlight--;
      return ms * 10;
    });
    expect(most).to.equal(3);
    expect(started).to.have.length(7);
    expect(results).to.deep.equal([50, 10, 40, 20, 30, 10, 10]);
  });

  it('runs nothing for no items, and refuses a limit that would run nothing', async () => {
    expect(await inParallel([], 10, () => Promise.reject(new Error('not called')))).to.deep.equal([]);
    let error: unknown;
    await inParallel([1], 0, () => Promise.resolve(1)).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/limit must be a positive whole number, got 0/);
  });

  it('rejects with a task\'s failure (callers turn their expected failures into results)', async () => {
    let error: unknown;
    await inParallel([1, 2, 3], 2, (n) => (n === 2 ? Promise.reject(new Error('boom 2')) : Promise.resolve(n))).catch((e: unknown) => (error = e));
    expect(String(error)).to.equal('Error: boom 2');
  });
});
