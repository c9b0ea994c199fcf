import { expect } from 'chai';
import { PendingWrites } from '../../../operator/pending-writes.js';

describe('PendingWrites (writes sent that the caches do not show yet)', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 0;
  });

  it('holds a write back until the cache shows the resourceVersion it returned', () => {
    const w = new PendingWrites(30_000, now);
    w.sent('Node/a', 'mark', '100');
    expect(w.settle(() => '99')).to.equal(30_000);
    expect(w.inFlight('Node/a', 'mark')).to.equal(true);
    clock = 1000;
    expect(w.settle((k) => (k === 'Node/a' ? '100' : undefined))).to.equal(undefined);
    expect(w.inFlight('Node/a', 'mark')).to.equal(false);
  });

  it('counts a write as seen when a watch event carries its resourceVersion, though the object changed again since', () => {
    const w = new PendingWrites(30_000, now);
    w.sent('Job/a', 'create', '100');
    w.observed('Job/a', '99');
    w.observed('Job/b', '100');
    expect(w.inFlight('Job/a', 'create'), 'another version, another object').to.equal(true);
    w.observed('Job/a', '100');
    expect(w.inFlight('Job/a', 'create')).to.equal(false);
    // The cache has moved on to 105 (the Job's status): without the event the write would wait out the TTL.
    expect(w.settle(() => '105')).to.equal(undefined);
  });

  it('counts a write as seen when its watch event came before its response', () => {
    const w = new PendingWrites(30_000, now);
    w.sending('Job/a');
    w.observed('Job/a', '100');
    w.observed('Job/a', '101');
    w.sent('Job/a', 'create', '100');
    expect(w.inFlight('Job/a', 'create')).to.equal(false);
    expect(w.size).to.equal(0);
    // Without an early event the write is held; a failed write leaves nothing behind.
    w.sending('Job/b');
    w.sent('Job/b', 'create', '102');
    expect(w.inFlight('Job/b', 'create')).to.equal(true);
    w.sending('Job/c');
    w.abandoned('Job/c');
    w.observed('Job/c', '103');
    w.sent('Job/c', 'create', '103');
    expect(w.inFlight('Job/c', 'create'), 'events before sending() do not count').to.equal(true);
  });

  it('does not hold back a different write to the same object', () => {
    const w = new PendingWrites(30_000, now);
    w.sent('Node/a', 'mark', '100');
    expect(w.inFlight('Node/a', 'unmark')).to.equal(false);
    expect(w.inFlight('Node/b', 'mark')).to.equal(false);
  });

  it('lets a write go again once it has waited the TTL unseen (a re-list skipped it, or someone changed the object since)', () => {
    const w = new PendingWrites(30_000, now);
    w.sent('Job/a', 'create', '7');
    clock = 10_000;
    w.sent('Job/b', 'create', '8');
    clock = 29_999;
    expect(w.settle(() => undefined)).to.equal(1);
    expect(w.inFlight('Job/a', 'create')).to.equal(true);
    clock = 30_000;
    expect(w.settle(() => undefined)).to.equal(10_000);
    expect(w.inFlight('Job/a', 'create')).to.equal(false);
    expect(w.inFlight('Job/b', 'create')).to.equal(true);
    expect(w.size).to.equal(1);
  });
});
