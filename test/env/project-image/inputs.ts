// Pure parts of the project image build (../project-image.ts): which files of the checkout the Dockerfile copies
// (they, the Dockerfile and .dockerignore make the cache key), and which npm release a Node package bundles.

/**
 * The build-context paths the Dockerfile's COPY/ADD instructions read (not `COPY --from=<stage>`, which reads
 * another stage), in order of first use. Only the plain forms are accepted: a JSON-array form, a glob or an
 * option other than --from/--chown/--chmod would make the cache key guess, so it is an error instead.
 */
export function dockerfileCopySources(dockerfile: string): string[] {
  const sources: string[] = [];
  // Continuation lines join the instruction they continue.
  const lines = dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    const m = /^(COPY|ADD)\s+(.*)$/i.exec(line);
    if (!m?.[2]) continue;
    const words = m[2].trim().split(/\s+/);
    if (words.some((w) => w.startsWith('--from'))) continue;
    const args = words.filter((w) => !/^--(chown|chmod)=/.test(w));
    if (args.some((w) => w.startsWith('-') || w.startsWith('['))) {
      throw new Error(`Dockerfile line ${i + 1}: '${line}' uses a form the image cache key does not read; use plain COPY <src>... <dest>`);
    }
    if (args.length < 2) throw new Error(`Dockerfile line ${i + 1}: '${line}' has no source`);
    for (const src of args.slice(0, -1)) {
      if (/[*?[]/.test(src)) throw new Error(`Dockerfile line ${i + 1}: source '${src}' is a glob; name files or folders`);
      const path = src.replace(/^\.\//, '').replace(/\/+$/, '');
      if (path === '' || path === '.' || path.startsWith('..') || path.startsWith('/')) {
        throw new Error(`Dockerfile line ${i + 1}: source '${src}' is not a file or folder inside the build context`);
      }
      if (!sources.includes(path)) sources.push(path);
    }
  }
  if (sources.length === 0) throw new Error('the Dockerfile copies nothing from the build context');
  return sources;
}

/**
 * Patterns of .dockerignore as a predicate on context-relative paths. Only the forms this repository uses are
 * accepted (a name or path without wildcards, or `*.ext`); negations and `**` are an error, not a guess.
 */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const patterns = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/^\.?\//, '').replace(/\/+$/, ''));
  for (const p of patterns) {
    if (p.startsWith('!') || p.includes('**') || /[?[]/.test(p) || (p.includes('*') && !/^\*\.[\w.-]+$/.test(p))) {
      throw new Error(`.dockerignore pattern '${p}' is not one the image cache key reads (a path, or *.ext)`);
    }
  }
  return (path) =>
    patterns.some((p) =>
      p.startsWith('*.') ? !path.includes('/') && path.endsWith(p.slice(1)) : path === p || path.startsWith(`${p}/`),
    );
}

/**
 * The npm release a Node binary package ships with, from its CHANGELOG.md (newest release first): the newest
 * "upgrade npm to X.Y.Z" line. The official node images carry that npm beside node.
 */
export function bundledNpmVersion(changelog: string): string {
  const m = /upgrade npm to (\d+\.\d+\.\d+)/.exec(changelog);
  if (!m?.[1]) throw new Error('the Node CHANGELOG names no "upgrade npm to X.Y.Z": cannot tell which npm this Node ships');
  return m[1];
}
