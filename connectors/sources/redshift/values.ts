/**
 * Redshift values as plain JSON values. Redshift sends PostgreSQL's text formats for the types
 * it shares with PostgreSQL (BIGINT, DECIMAL, DOUBLE PRECISION, DATE, TIMESTAMP, TIMESTAMPTZ,
 * BOOLEAN, VARCHAR), so the PostgreSQL source's parsers apply unchanged; this adds Redshift's
 * own types, by their Redshift type OIDs (none of which PostgreSQL uses).
 */
import type { CustomTypesConfig } from 'pg';
import { jsonTypes as postgresJsonTypes } from '../postgres/values';

/** Redshift-only type OIDs. */
export const RedshiftOid = {
  /** Semi-structured data, sent as its JSON text. */
  super: 4000,
  /** Variable-length binary, sent as hex digits. */
  varbyte: 6551,
} as const;

/** SUPER's JSON text as the value it holds; text that is not JSON stays text. */
export function superText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** VARBYTE's hex text as base64, as `bytea` comes from the PostgreSQL source. */
export function varbyteText(text: string): string {
  return /^(?:[0-9a-f]{2})*$/i.test(text) ? Buffer.from(text, 'hex').toString('base64') : text;
}

const redshiftOnly: Record<number, (text: string) => unknown> = {
  [RedshiftOid.super]: superText,
  [RedshiftOid.varbyte]: varbyteText,
};

/** Per-client parsers: Redshift's own types, then everything the PostgreSQL source parses. */
export const jsonTypes: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format !== 'binary' && redshiftOnly[oid]) return redshiftOnly[oid];
    return postgresJsonTypes.getTypeParser(oid, format);
  }) as CustomTypesConfig['getTypeParser'],
};

