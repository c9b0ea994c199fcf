// The controller's memory of volumes it deleted lately: bounded in age and number, the oldest out first.
import { expect } from 'chai';
import { RecentIds } from '../../../../csi-driver/controller/recent-ids.js';

describe('recently deleted volume IDs', () => {
  it('remembers an ID for its time to live, then forgets it', () => {
    const ids = new RecentIds(1000, 10);
    ids.add('a', 0);
    expect(ids.has('a', 999)).to.equal(true);
    expect(ids.has('a', 1000)).to.equal(false);
  });
  it('keeps at most its maximum, dropping the oldest; adding again makes an ID the newest', () => {
    const ids = new RecentIds(60_000, 2);
    ids.add('a', 0);
    ids.add('b', 1);
    ids.add('a', 2);
    ids.add('c', 3);
    expect(['a', 'b', 'c'].filter((id) => ids.has(id, 4))).to.deep.equal(['a', 'c']);
  });
});
