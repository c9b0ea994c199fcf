import { expect } from 'chai';
import { parseByteQuantity, parseQuantity, QuantityError } from '../../../lib/quantity.js';

describe('lib/quantity', () => {
  const good: [string, bigint][] = [
    ['0', 0n],
    ['1', 1n],
    ['1024', 1024n],
    ['1Ki', 1024n],
    ['100Gi', 100n * 2n ** 30n],
    ['1.5Gi', 1610612736n],
    ['1Ti', 2n ** 40n],
    ['2Pi', 2n * 2n ** 50n],
    ['1Ei', 2n ** 60n],
    ['1k', 1000n],
    ['500M', 500_000_000n],
    ['1.5G', 1_500_000_000n],
    ['10T', 10n ** 13n],
    ['1P', 10n ** 15n],
    ['2E', 2n * 10n ** 18n],
    ['1e3', 1000n],
    ['1E3', 1000n],
    ['1.5e+3', 1500n],
    ['100m', 1n],
    ['1500m', 2n],
    ['1n', 1n],
    ['5.', 5n],
    ['.5Ki', 512n],
    ['+7', 7n],
    ['-1.5', -1n],
    ['0.1', 1n],
  ];
  for (const [text, want] of good) {
    it(`parses ${text} as ${want} (rounded up like Quantity.Value())`, () => {
      expect(parseQuantity(text)).to.equal(want);
    });
  }

  const bad = ['', ' 1Gi', '1Gi ', '1 Gi', '1GB', '1gi', 'Gi', '1.2.3', '1e', '1Ki5', '--1', '1e99', '10Ei', 'NaN', '0x10'];
  for (const text of bad) {
    it(`rejects ${JSON.stringify(text)} with a QuantityError`, () => {
      expect(() => parseQuantity(text)).to.throw(QuantityError);
    });
  }

  it('gives byte counts as exact numbers and refuses negative or unsafe ones', () => {
    expect(parseByteQuantity('100Gi')).to.equal(107374182400);
    expect(parseByteQuantity('7Pi')).to.equal(7 * 2 ** 50);
    expect(() => parseByteQuantity('-1Gi')).to.throw(QuantityError, /negative/);
    expect(() => parseByteQuantity('8Ei')).to.throw(QuantityError, /too large/);
  });
});
