/**
 * ListVolumes / ListSnapshots pages. A token names the last ID of the previous page, so a page boundary does not
 * shift when volumes are created or deleted between calls (the list is sorted by ID). Tokens carry a prefix and
 * must decode to what was issued: anything else is ABORTED, as the spec asks.
 */
import { aborted, invalidArgument } from '../grpc/errors.js';

const PREFIX = 'olv1.';

export const tokenAfter = (id: string): string => PREFIX + Buffer.from(id, 'utf8').toString('base64url');

function idOfToken(token: string): string {
  const body = token.startsWith(PREFIX) ? token.slice(PREFIX.length) : undefined;
  const id = body === undefined || body === '' ? undefined : Buffer.from(body, 'base64url').toString('utf8');
  if (id === undefined || tokenAfter(id) !== token) throw aborted(`starting_token ${JSON.stringify(token)} was not issued by this driver; list again without it`);
  return id;
}

/** One page of `items` (sorted by `idOf`), and the token of the next page ("" at the end). */
export function page<T>(items: readonly T[], idOf: (item: T) => string, maxEntries: number, startingToken: string): { entries: T[]; nextToken: string } {
  if (maxEntries < 0) throw invalidArgument(`max_entries is negative (${maxEntries})`);
  const after = startingToken === '' ? undefined : idOfToken(startingToken);
  const rest = after === undefined ? items : items.filter((item) => idOf(item) > after);
  if (maxEntries === 0 || rest.length <= maxEntries) return { entries: [...rest], nextToken: '' };
  const entries = rest.slice(0, maxEntries);
  const last = entries[entries.length - 1];
  return { entries, nextToken: last === undefined ? '' : tokenAfter(idOf(last)) };
}
