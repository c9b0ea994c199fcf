import { expect } from 'chai';
import { copyChunkArgv } from '../../../../csi-driver/node/volumes/host-actions.js';

describe('csi-driver/node/volumes/host-actions', () => {
  it('copies a chunk at the same byte offset on both sides, flushed before it returns, without truncating', () => {
    const argv = copyChunkArgv('/dev/vg0/a.clonesrc', '/dev/vg0/a', 134217728, 67108864);
    expect(argv).to.deep.equal([
      'dd', 'if=/dev/vg0/a.clonesrc', 'of=/dev/vg0/a', 'bs=1M', 'skip=134217728', 'seek=134217728', 'count=67108864',
      'iflag=skip_bytes,count_bytes', 'oflag=seek_bytes', 'conv=notrunc,fsync', 'status=none',
    ]);
  });
});
