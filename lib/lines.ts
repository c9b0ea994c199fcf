/**
 * Splits a text stream into lines as chunks arrive (a chunk may end mid-line or hold many lines): `push` each
 * chunk, `end` once the stream ends to get its last line if it had no newline. A watch response is one JSON
 * event per line.
 */
export class LineSplitter {
  private pending = '';
  private readonly onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.onLine = onLine;
  }

  push(chunk: string): void {
    this.pending += chunk;
    let start = 0;
    for (let nl = this.pending.indexOf('\n'); nl >= 0; nl = this.pending.indexOf('\n', start)) {
      const line = this.pending.slice(start, nl);
      start = nl + 1;
      if (line.trim() !== '') this.onLine(line);
    }
    this.pending = this.pending.slice(start);
  }

  end(): void {
    const last = this.pending;
    this.pending = '';
    if (last.trim() !== '') this.onLine(last);
  }
}
