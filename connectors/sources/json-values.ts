/**
 * How SQL sources turn engine values into plain JSON values, the same way in every engine,
 * so a model gives the same rows (and the same hashes) whichever warehouse it lives in.
 *
 * - Integers: a number when it is a safe integer, else its decimal string (no precision lost).
 * - Decimals: a number when the number prints back as the same decimal, else the string.
 * - Floats: numbers; NaN and ±Infinity as strings, since JSON has no such numbers.
 * - Timestamps: `YYYY-MM-DDTHH:MM:SS.ffffffZ`, UTC, always six fractional digits. A fixed
 *   width keeps string order equal to time order, which watermarks rely on; a timestamp
 *   without a time zone is taken as UTC.
 * - Dates: `YYYY-MM-DD`.
 */

/** A bigint as a number when it is exact, else as its decimal string. */
export function integerToJson(value: bigint): number | string {
  return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value.toString();
}

/** A decimal integer string as a number when exact, else unchanged. */
export function integerTextToJson(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/**
 * A decimal string (`-12.50`) as a number when that number prints back as the same decimal
 * at the same scale, else the string unchanged (`NaN`, huge or over-precise values).
 */
export function decimalTextToJson(text: string): number | string {
  const n = Number(text);
  if (!Number.isFinite(n) || text.trim() !== text) return text;
  const dot = text.indexOf('.');
  const scale = dot === -1 ? 0 : text.length - dot - 1;
  if (scale > 100) return text;
  return n.toFixed(scale) === text ? (Object.is(n, -0) ? 0 : n) : text;
}

/** A float as a number, or `NaN` / `Infinity` / `-Infinity` as strings. */
export function floatToJson(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

const MAX_DATE_MS = 8_640_000_000_000_000n;

/** Floor division for bigints (`/` truncates toward zero). */
function floorDiv(a: bigint, b: bigint): [bigint, bigint] {
  let q = a / b;
  let r = a % b;
  if (r < 0n) {
    q -= 1n;
    r += b;
  }
  return [q, r];
}

/**
 * Microseconds since the Unix epoch (UTC) as `YYYY-MM-DDTHH:MM:SS.ffffffZ`. Values JS dates
 * cannot hold (DuckDB's ±infinity, years past ±275760) become `infinity` / `-infinity`.
 */
export function isoFromEpochMicros(micros: bigint): string {
  return isoFromEpoch(micros, 1000n, 3);
}

/** Nanoseconds since the epoch, with nine fractional digits. */
export function isoFromEpochNanos(nanos: bigint): string {
  return isoFromEpoch(nanos, 1_000_000n, 6);
}

function isoFromEpoch(value: bigint, perMs: bigint, extraDigits: number): string {
  const [ms, rest] = floorDiv(value, perMs);
  if (ms > MAX_DATE_MS || ms < -MAX_DATE_MS) return value > 0n ? 'infinity' : '-infinity';
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, -1)}${rest.toString().padStart(extraDigits, '0')}Z`;
}

/** Days since the epoch as `YYYY-MM-DD` (or `infinity` / `-infinity`). */
export function isoFromEpochDays(days: number): string {
  const ms = days * 86_400_000;
  if (!Number.isFinite(ms) || Math.abs(ms) > Number(MAX_DATE_MS)) return days > 0 ? 'infinity' : '-infinity';
  return new Date(ms).toISOString().slice(0, -14);
}

/** Bytes as base64: JSON has no binary type. */
export function bytesToJson(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
