import { expect } from 'chai';
import { LineSplitter } from '../../../lib/lines.js';

describe('LineSplitter (watch responses: one JSON event per line)', () => {
  const split = (chunks: readonly string[]): string[] => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    for (const c of chunks) s.push(c);
    s.end();
    return lines;
  };

  it('joins a line split across chunks and splits a chunk holding several lines', () => {
    expect(split(['{"a":', '1}\n{"b":2}\n{"c"', ':3}\n'])).to.deep.equal(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('gives the last line without a newline at the end, and skips blank lines', () => {
    expect(split(['\n{"a":1}\n\n', '  \n{"b":2}'])).to.deep.equal(['{"a":1}', '{"b":2}']);
  });

  it('gives each line as soon as its newline arrives, not at the end', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push('{"a":1}\n{"b"');
    expect(lines).to.deep.equal(['{"a":1}']);
    s.push(':2}\n');
    expect(lines).to.deep.equal(['{"a":1}', '{"b":2}']);
  });
});
