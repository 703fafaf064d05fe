/**
 * Read-back comparison: what the destination holds against what ebb sent, field by field. The
 * share of equal values is the seed's mapping-accuracy KPI. Values are compared by meaning,
 * not by representation: destinations hand numbers back as strings, timestamps as Date objects.
 */

/** One record's comparison. */
export interface RecordComparison {
  checked: number;
  matched: number;
  /** Fields whose value differs (names only: values are row data). */
  mismatched: string[];
}

/** The totals over a sample. */
export interface ReadBackResult {
  records: number;
  /** Sent records the destination does not hold. */
  missing: number;
  /** Records missing or holding at least one wrong value (the consistency error KPI's numerator). */
  inconsistent: number;
  checked: number;
  matched: number;
  /** Field name to how many records had it wrong. */
  mismatchedFields: Record<string, number>;
}

/** Compares the `sent` fields of one record with what the destination `got`. */
export function compareRecord(sent: Record<string, unknown>, got: Record<string, unknown>): RecordComparison {
  const out: RecordComparison = { checked: 0, matched: 0, mismatched: [] };
  for (const [field, value] of Object.entries(sent)) {
    out.checked++;
    if (sameValue(value, got[field])) out.matched++;
    else out.mismatched.push(field);
  }
  return out;
}

/** Adds one record's comparison (or its absence) to the totals. */
export function addComparison(total: ReadBackResult, c: RecordComparison | 'missing', fieldsSent: number): ReadBackResult {
  const next = { ...total, records: total.records + 1, mismatchedFields: { ...total.mismatchedFields } };
  if (c === 'missing') {
    next.missing++;
    next.inconsistent++;
    next.checked += fieldsSent;
    return next;
  }
  next.checked += c.checked;
  next.matched += c.matched;
  if (c.mismatched.length) next.inconsistent++;
  for (const f of c.mismatched) next.mismatchedFields[f] = (next.mismatchedFields[f] ?? 0) + 1;
  return next;
}

/** No records compared yet. */
export const NO_READ_BACK: ReadBackResult = Object.freeze({ records: 0, missing: 0, inconsistent: 0, checked: 0, matched: 0, mismatchedFields: {} });

/** Mapping accuracy: matched ÷ checked values (1 when nothing was checked). */
export function mappingAccuracy(r: Pick<ReadBackResult, 'checked' | 'matched'>): number {
  return r.checked === 0 ? 1 : r.matched / r.checked;
}

/** Equal in meaning: identical JSON, or the same number, instant or text once normalized. */
export function sameValue(sent: unknown, got: unknown): boolean {
  if (sent === undefined) sent = null;
  if (got === undefined) got = null;
  if (sent === null || got === null) return sent === got;
  if (typeof sent === 'object' || typeof got === 'object') {
    if (got instanceof Date) return sameInstant(sent, got);
    if (sent instanceof Date) return sameInstant(got, sent);
    return canonical(sent) === canonical(got);
  }
  if (typeof sent === 'number' || typeof got === 'number' || typeof sent === 'bigint' || typeof got === 'bigint') {
    const a = Number(sent);
    const b = Number(got);
    if (!Number.isNaN(a) && !Number.isNaN(b) && String(sent).trim() !== '' && String(got).trim() !== '') return a === b;
  }
  if (typeof sent === 'boolean' || typeof got === 'boolean') return String(sent).toLowerCase() === String(got).toLowerCase();
  if (String(sent) === String(got)) return true;
  return looksLikeInstant(sent) && looksLikeInstant(got) && sameInstant(sent, new Date(String(got)));
}

function sameInstant(value: unknown, date: Date): boolean {
  const t = typeof value === 'number' ? value : Date.parse(String(value instanceof Date ? value.toISOString() : value));
  return !Number.isNaN(t) && t === date.getTime();
}

function looksLikeInstant(v: unknown): boolean {
  return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v);
}

/** JSON with sorted keys, so `{a,b}` equals `{b,a}`. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
