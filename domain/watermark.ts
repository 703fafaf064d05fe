/**
 * Watermark arithmetic for `changeDetection.mode: watermark`. Cursor values are kept as
 * numbers: epoch milliseconds for timestamps, the value itself for numeric columns. (Numeric
 * cursors above 2^53 lose precision; use a timestamp or a diff for such models.)
 */

/** What kind of value a cursor column holds. */
export type CursorKind = 'timestamp' | 'number';

/** Parses "15m" / "2h" / "1d" / "500ms" / "30s" (or a number of ms) to milliseconds. */
export function parseDurationMs(d: string | number): number {
  if (typeof d === 'number') return d;
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new RangeError(`not a duration: "${d}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/**
 * Turns a source value into a cursor number and its kind. ISO strings and Dates are
 * timestamps; numbers (and numeric strings from big integer columns) are numbers.
 * Returns undefined for null.
 */
export function toCursor(value: unknown): { value: number; kind: CursorKind } | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return { value: value.getTime(), kind: 'timestamp' };
  if (typeof value === 'number') return { value, kind: 'number' };
  if (typeof value === 'bigint') return { value: Number(value), kind: 'number' };
  if (typeof value === 'string') {
    if (/^-?\d+(\.\d+)?$/.test(value)) return { value: Number(value), kind: 'number' };
    const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
    if (!Number.isNaN(t)) return { value: t, kind: 'timestamp' };
  }
  return undefined;
}

/** The value a source compares the cursor column against (`column >= value`). */
export function cursorBound(value: number, kind: CursorKind): number | string {
  return kind === 'timestamp' ? new Date(value).toISOString() : value;
}

/**
 * The lower bound of the next read: the committed watermark minus the lookback, so rows that
 * arrived late with an older cursor are still seen. The lookback is a duration for timestamps
 * and a plain number for numeric cursors.
 */
export function readFrom(committed: number, kind: CursorKind, lookback: string | number): number {
  const back = kind === 'timestamp' ? parseDurationMs(lookback) : typeof lookback === 'number' ? lookback : 0;
  return committed - back;
}

/**
 * The watermark a destination may commit: the run's high mark, but never past the lowest
 * cursor of a row the destination has not acknowledged, so that row is read again next run.
 * `lowestUnacked` is undefined when every row was acknowledged.
 */
export function nextWatermark(high: number | undefined, lowestUnacked: number | undefined): number | undefined {
  if (high === undefined) return lowestUnacked;
  if (lowestUnacked === undefined) return high;
  return Math.min(high, lowestUnacked);
}
