/**
 * Re-cuts a stream of arrays into arrays of one size. Engines hand rows over in their own
 * units (DuckDB chunks of 2048, a cursor's FETCH size); consumers asked for `size`.
 */

/** Default rows per batch when a read request gives no hint. */
export const DEFAULT_BATCH_SIZE = 5000;

/**
 * Yields arrays of exactly `size` items (the last one may be shorter), never an empty one.
 * Holds at most `size` plus one incoming array. Stopping early stops the inner stream too.
 */
export async function* rebatch<T>(source: AsyncIterable<T[]>, size: number): AsyncGenerator<T[]> {
  const limit = Math.max(1, Math.floor(size));
  let pending: T[] = [];
  for await (const items of source) {
    let start = 0;
    while (start < items.length) {
      const take = Math.min(limit - pending.length, items.length - start);
      // Whole incoming arrays pass through without a copy when they already fit.
      if (pending.length === 0 && take === items.length && take === limit) {
        start = items.length;
        yield items;
        continue;
      }
      for (let i = start; i < start + take; i++) pending.push(items[i]);
      start += take;
      if (pending.length === limit) {
        const full = pending;
        pending = [];
        yield full;
      }
    }
  }
  if (pending.length > 0) yield pending;
}
