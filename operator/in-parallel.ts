/**
 * Runs `task` for every item, at most `limit` at a time, and resolves with their results in the items' order.
 * A reconcile's writes (a Job per node to start, a Node to mark) are independent of each other; one at a time,
 * each waits a round trip to a busy API server and a pass over a hundred nodes takes seconds, while finished nodes
 * wait for their mark and their prepare slots stay taken.
 */
export async function inParallel<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`inParallel: limit must be a positive whole number, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
