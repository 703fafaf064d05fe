/**
 * Date and time formatting for mappings: the shape a destination expects (a calendar date, an
 * ISO timestamp with its zone's offset, Unix seconds or milliseconds) in the zone it expects.
 * Pure: time zones come from the runtime's IANA database through Intl, never from the clock.
 */

/** How a mapped date/timestamp is written. */
export interface TimeFormat {
  format: 'date' | 'datetime' | 'unix' | 'unix_ms';
  /** Zone of the written date/datetime. Default UTC. */
  timeZone?: string;
  /** Zone in which the model's zone-less timestamps were recorded. Default UTC. */
  sourceTimeZone?: string;
}

const NAIVE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z)?$/;

/**
 * Formats a date/timestamp value. Accepts Dates, ISO strings (with `Z`, an offset, or none),
 * `YYYY-MM-DD` dates and epoch numbers (seconds below 1e11, else milliseconds). Values that
 * are not times become null, so garbage is never sent as a date.
 *
 * Sources hand zone-less timestamps over as UTC wall-clock (`…Z`); `sourceTimeZone` re-reads
 * that wall-clock in the zone the data was really recorded in. Use it only on such columns.
 */
export function formatTime(value: unknown, f: TimeFormat): string | number | null {
  const ms = toEpochMs(value, f.sourceTimeZone ?? 'UTC');
  if (ms === undefined) return null;
  switch (f.format) {
    case 'unix':
      return Math.floor(ms / 1000);
    case 'unix_ms':
      return ms;
    case 'date':
      return wallClock(ms, f.timeZone ?? 'UTC').slice(0, 10);
    case 'datetime': {
      const zone = f.timeZone ?? 'UTC';
      const wall = wallClock(ms, zone);
      const offsetMin = Math.round((Date.parse(`${wall}Z`) - Math.floor(ms / 1000) * 1000) / 60_000);
      return `${wall}${zone === 'UTC' ? 'Z' : offsetText(offsetMin)}`;
    }
  }
}

function toEpochMs(value: unknown, sourceZone: string): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value === 'number') return Number.isFinite(value) ? (Math.abs(value) < 1e11 ? value * 1000 : value) : undefined;
  if (typeof value !== 'string') return undefined;
  const s = value.trim();
  const m = NAIVE.exec(s);
  if (m) {
    // zone-less, or UTC wall-clock as sources write it: read in the source zone
    const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = ''] = m;
    const wallMs = Date.UTC(+y, +mo - 1, +d, +h, +mi, +sec, Number(frac.padEnd(3, '0').slice(0, 3)));
    if (Number.isNaN(wallMs) || new Date(wallMs).getUTCDate() !== +d) return undefined;
    return sourceZone === 'UTC' ? wallMs : fromWallClock(wallMs, sourceZone);
  }
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `YYYY-MM-DDTHH:MM:SS` of an instant in a zone. */
function wallClock(ms: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const year = String(parts.year).padStart(4, '0');
  return `${year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

/** The instant whose wall-clock in `zone` is `wallMs` (read as UTC). Two passes settle DST edges. */
function fromWallClock(wallMs: number, zone: string): number {
  let guess = wallMs;
  for (let i = 0; i < 2; i++) {
    const offset = Date.parse(`${wallClock(guess, zone)}Z`) - Math.floor(guess / 1000) * 1000;
    guess = wallMs - offset;
  }
  return guess;
}

function offsetText(min: number): string {
  const sign = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}
