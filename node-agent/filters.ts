/**
 * listConfig include/exclude filters: which discovered VGs, mount points and devices the scheduler may use.
 *
 * Semantics (Open-Local's FilterInfo, with two deliberate differences):
 * - A name is selected when some include pattern matches the WHOLE name and no exclude pattern does. An empty include
 *   list selects nothing. Results are sorted (Open-Local returned Go map order).
 * - Whole-name match = the pattern wrapped as `^(?:pattern)$`. Open-Local instead keeps a name when the *leftmost*
 *   match equals the name, so with alternations it picks the first alternative that matches at position 0: `a|ab`
 *   does not keep "ab", and an exclude such as `/dev/sd[a-z]|/dev/sd[a-z][0-9]` would NOT exclude "/dev/sda1".
 *   We match the whole name with any alternative, because that is what the CRD documents, what users expect, and
 *   it never lets an exclude silently miss. For patterns without alternation both rules give the same answer.
 * - An invalid pattern never crashes the agent (Open-Local panicked): it becomes a problem string in status. An
 *   invalid include selects nothing by itself; an invalid EXCLUDE makes its whole filter select nothing, because
 *   skipping an exclude would widen the selection (e.g. offer the system disk to pods).
 *
 * Patterns are Go RE2 syntax, evaluated with JS RegExp in unicode mode. Unicode mode turns most RE2-only syntax into
 * errors instead of silent mismatches (`(?i)`, `\z`, `[[:digit:]]`); the JS-only constructs RE2 rejects
 * (lookaround, backreferences) are refused explicitly, so a pattern means the same here as in Open-Local.
 */
import type { NameFilter } from '../api/generated/types.js';

export interface FilterResult {
  readonly selected: readonly string[];
  /** One sentence per pattern that could not be used, naming the field and the pattern. */
  readonly problems: readonly string[];
}

/** Why a pattern is not RE2, or undefined. Escapes and character classes are skipped so `[(?=]` stays legal. */
function notRe2(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && /[1-9k]/.test(next)) return `backreference \\${next} is not supported (RE2 syntax)`;
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(' && /^\(\?(?:=|!|<=|<!)/.test(pattern.slice(i))) {
      return 'lookaround is not supported (RE2 syntax)';
    }
  }
  return undefined;
}

/** A whole-name matcher, or the reason the pattern cannot be used. */
export function compilePattern(pattern: string): RegExp | string {
  const re2 = notRe2(pattern);
  if (re2 !== undefined) return re2;
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Applies one NameFilter to `names`; `field` (e.g. "listConfig.vgs") prefixes problem strings. */
export function applyNameFilter(names: readonly string[], filter: NameFilter | undefined, field: string): FilterResult {
  const problems: string[] = [];
  const compile = (patterns: readonly string[] | undefined, kind: 'include' | 'exclude'): (RegExp | undefined)[] =>
    (patterns ?? []).map((p, i) => {
      const re = compilePattern(p);
      if (typeof re !== 'string') return re;
      problems.push(`${field}.${kind}[${i}] ${JSON.stringify(p)} is invalid: ${re}`);
      return undefined;
    });
  const includes = compile(filter?.include, 'include');
  const excludes = compile(filter?.exclude, 'exclude');
  if (excludes.some((re) => re === undefined)) {
    problems.push(`${field} selects nothing until its exclude patterns are fixed`);
    return { selected: [], problems };
  }
  const matches = (res: readonly (RegExp | undefined)[], name: string) => res.some((re) => re?.test(name) === true);
  const selected = [...new Set(names)].filter((n) => matches(includes, n) && !matches(excludes, n)).sort();
  return { selected, problems };
}
