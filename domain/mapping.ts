import { createHash } from 'node:crypto';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { formatTime } from './mapping-time';
import { canonicalJson } from './row-hash';
import type { FieldMapping, TransformName } from './spec/schema';

/** A row's mapped destination fields. */
export type MappedFields = Record<string, unknown>;

/** A compiled mapping: call it on each source row. */
export type RowMapper = (row: Record<string, unknown>) => MappedFields;

/**
 * Compiles a destination's field mappings once, so the per-row path is a tight loop with no
 * re-parsing. Pure: the same row always maps to the same fields.
 */
export function compileMapping(mapping: Record<string, FieldMapping>): RowMapper {
  const fields = Object.entries(mapping)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([field, m]) => [field, compileField(m)] as const);
  if (fields.some(([f]) => f.includes('.'))) {
    // Dotted fields ("address.city") build nested objects, for APIs that take them.
    const paths = fields.map(([f, get]) => [f.split('.'), get] as const);
    return (row) => {
      const out: MappedFields = {};
      for (const [path, get] of paths) setPath(out, path, get(row));
      return out;
    };
  }
  return (row) => {
    const out: MappedFields = {};
    for (const [field, get] of fields) out[field] = get(row);
    return out;
  };
}

function setPath(out: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = out;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[path[path.length - 1]] = value;
}

/** A value inside a JSON/struct column: objects as sources give them, or JSON text. */
function valueAt(value: unknown, path: readonly string[]): unknown {
  let v: unknown = value;
  if (typeof v === 'string' && /^\s*[[{]/.test(v)) {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  for (const key of path) {
    if (v === null || typeof v !== 'object') return null;
    v = (v as Record<string, unknown>)[key];
  }
  return v === undefined ? null : v;
}

/** The model columns a mapping reads (for drift checks and for validating against the model). */
export function mappedColumns(mapping: Record<string, FieldMapping>): string[] {
  const cols = new Set<string>();
  for (const m of Object.values(mapping)) {
    if (typeof m === 'string') cols.add(m);
    else if ('column' in m) cols.add(m.column);
    else if ('coalesce' in m) m.coalesce.forEach((c) => cols.add(c));
    else if ('template' in m) templateColumns(m.template).forEach((c) => cols.add(c));
    if (typeof m !== 'string' && ('column' in m || 'coalesce' in m) && m.regionColumn) cols.add(m.regionColumn);
  }
  return [...cols];
}

type Getter = (row: Record<string, unknown>) => unknown;

function compileField(m: FieldMapping): Getter {
  if (typeof m === 'string') return (row) => normalize(row[m]);
  if ('value' in m) return () => m.value;
  const transformed = compileTransforms(m.transform ?? [], 'template' in m ? {} : { region: m.region, regionColumn: m.regionColumn });
  const time = 'template' in m || !m.format ? undefined : { format: m.format, timeZone: m.timeZone, sourceTimeZone: m.sourceTimeZone };
  const t: Transform = time ? (v, row) => formatTime(transformed(v, row), time) : transformed;
  if ('column' in m) {
    const c = m.column;
    if (m.path) {
      const path = m.path.split('.');
      return (row) => t(normalize(valueAt(row[c], path)), row);
    }
    return (row) => t(normalize(row[c]), row);
  }
  if ('coalesce' in m) {
    const cols = m.coalesce;
    return (row) => {
      for (const c of cols) {
        const v = row[c];
        if (v !== null && v !== undefined && v !== '') return t(normalize(v), row);
      }
      return t(null, row);
    };
  }
  const parts = m.template.split(/(\{[^}]+\})/).filter((p) => p !== '');
  return (row) =>
    t(parts.map((p) => (p.startsWith('{') && p.endsWith('}') ? stringOrEmpty(row[p.slice(1, -1).trim()]) : p)).join(''), row);
}

function templateColumns(template: string): string[] {
  return [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1].trim());
}

/** Sources may hand over `undefined` for SQL NULL or Dates; destinations get JSON values. */
function normalize(v: unknown): unknown {
  if (v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return v;
}

function stringOrEmpty(v: unknown): string {
  return v === null || v === undefined ? '' : String(normalize(v));
}

const transformFns: Record<Exclude<TransformName, 'e164'>, (v: unknown) => unknown> = {
  trim: (v) => (typeof v === 'string' ? v.trim() : v),
  lowercase: (v) => (typeof v === 'string' ? v.toLowerCase() : v),
  uppercase: (v) => (typeof v === 'string' ? v.toUpperCase() : v),
  string: (v) => (v === null ? null : String(v)),
  number: (v) => {
    if (v === null || v === '') return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  },
  boolean: (v) => {
    if (v === null) return null;
    if (typeof v === 'string') return ['true', 't', 'yes', 'y', '1'].includes(v.trim().toLowerCase());
    return Boolean(v);
  },
  iso_timestamp: (v) => {
    if (v === null || v === '') return null;
    const d = new Date(v as string | number);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  },
  // Destinations that match on hashed identifiers expect lowercase hex SHA-256; nulls stay null.
  sha256: (v) => (v === null || v === '' ? null : createHash('sha256').update(String(v)).digest('hex')),
};

type Transform = (v: unknown, row: Record<string, unknown>) => unknown;

function compileTransforms(names: readonly TransformName[], phone: { region?: string; regionColumn?: string }): Transform {
  const fns: Transform[] = names.map((n) => (n === 'e164' ? e164(phone) : transformFns[n]));
  if (fns.length === 0) return (v) => v;
  return (v, row) => fns.reduce((acc, fn) => fn(acc, row), v);
}

/**
 * E.164 phone normalisation (`+14155550123`), as ad platforms and CRMs match on: numbers without
 * a country code take the row's region column, else the default region. Unparseable or invalid
 * numbers become null, so they are never sent as garbage.
 */
function e164(phone: { region?: string; regionColumn?: string }): Transform {
  return (v, row) => {
    if (v === null || v === undefined || v === '') return null;
    const fromRow = phone.regionColumn ? row[phone.regionColumn] : undefined;
    const region = (typeof fromRow === 'string' && /^[A-Za-z]{2}$/.test(fromRow.trim()) ? fromRow.trim().toUpperCase() : phone.region) as CountryCode | undefined;
    const parsed = parsePhoneNumberFromString(String(v), region);
    return parsed?.isValid() ? parsed.number : null;
  };
}

/**
 * A mapping's version: a content hash of what decides the payload (field mappings, identity
 * field, mode), so every run records exactly which mapping produced what it sent.
 */
export function mappingVersion(dest: { mapping: Record<string, FieldMapping>; idField?: string; mode?: string; matchOn?: string[] }): string {
  // matchOn joins the hash only when set, so versions of mappings without it stay as they were.
  const identity = dest.matchOn ? { matchOn: dest.matchOn } : {};
  return createHash('sha256').update(canonicalJson({ mapping: dest.mapping, idField: dest.idField ?? null, mode: dest.mode ?? null, ...identity })).digest('hex').slice(0, 12);
}
