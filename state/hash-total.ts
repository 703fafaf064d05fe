/**
 * Hash totals: an order-independent control total of a set of staged changes — the count and
 * the sum of the first 32 bits of each change's row hash (an md5) — recorded when a run is
 * planned ("before") and when it commits ("after"), so a run's result shows that what the
 * state store now says the destination holds is exactly what was planned and acknowledged.
 */

/** The SQL sum of 32-bit row-hash prefixes, for `column` (an md5 hex string) in `dialect`. */
export function hashPrefixSum(dialect: 'duckdb' | 'postgres', column: string): string {
  const prefix = dialect === 'duckdb' ? `CAST('0x' || substr(${column}, 1, 8) AS BIGINT)` : `('x' || substr(${column}, 1, 8))::bit(32)::bigint`;
  return `coalesce(sum(${prefix}), 0)`;
}

/** `count/sum` in hex: a short, comparable string. */
export function formatHashTotal(count: unknown, sum: unknown): string {
  return `${Number(count ?? 0)}/${BigInt(String(sum ?? 0)).toString(16)}`;
}
