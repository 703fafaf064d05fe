/**
 * Turning a spec's model into SQL, shared by the SQL sources (DuckDB, PostgreSQL): both
 * quote identifiers with double quotes, and both must wrap the model without changing
 * what it means.
 */
import type { Model } from '../../domain/spec/schema';
import { configError } from '../../domain/errors';

/** Quotes one identifier exactly as written: `a"b` becomes `"a""b"`. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Splits `schema.table` (or `catalog.schema.table`) into its parts. A part may already be
 * double-quoted, so a name holding a dot can still be written (`"my.schema".people`).
 * Unquoted parts are taken as exact names, not case-folded: the spec names a real object.
 */
export function splitQualifiedName(name: string): string[] {
  const parts: string[] = [];
  let i = 0;
  const fail = () => configError(`model.table: cannot parse table name ${JSON.stringify(name)}`, { path: 'model.table' });
  while (i < name.length) {
    let part = '';
    if (name[i] === '"') {
      i++;
      for (;;) {
        if (i >= name.length) throw fail();
        if (name[i] === '"') {
          if (name[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += name[i++];
      }
    } else {
      while (i < name.length && name[i] !== '.') part += name[i++];
      part = part.trim();
    }
    if (part === '') throw fail();
    parts.push(part);
    if (i < name.length) {
      if (name[i] !== '.') throw fail();
      i++;
      if (i === name.length) throw fail();
    }
  }
  if (parts.length === 0 || parts.length > 3) throw fail();
  return parts;
}

/** `schema.table` quoted part by part. */
export function quoteQualified(name: string): string {
  return splitQualifiedName(name).map(quoteIdent).join('.');
}

/** A model as a `SELECT` plus the words error messages use to name it. */
export interface WrappedModel {
  /** `SELECT * FROM …`: safe to wrap again as a subquery. */
  sql: string;
  /** `table "public.people"` or `model (sql)`: for error messages, never holding row values. */
  object: string;
}

/**
 * `{table}` becomes `SELECT * FROM "schema"."table"`; `{sql}` becomes a subquery, so the
 * model keeps its meaning whatever we add around it (a watermark filter, a LIMIT 0).
 */
export function wrapModel(model: Model): WrappedModel {
  if ('table' in model) {
    return { sql: `SELECT * FROM ${quoteQualified(model.table)}`, object: `table ${JSON.stringify(model.table)}` };
  }
  // A trailing semicolon would end the statement inside our parentheses; the newline keeps a
  // trailing `-- comment` from swallowing the closing parenthesis.
  const body = model.sql.trim().replace(/[;\s]+$/, '');
  return { sql: `SELECT * FROM (\n${body}\n) AS ebb_model`, object: 'model (sql)' };
}

/** Appends ` LIMIT 0` so the engine plans and checks the model without reading rows. */
export function limitZero(sql: string): string {
  return `SELECT * FROM (${sql}) AS ebb_probe LIMIT 0`;
}

/** Refuses models whose column names repeat: rows are objects, so one value would vanish. */
export function assertDistinctColumns(names: readonly string[], object: string, source: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      throw configError(`${source}: ${object} has two columns named ${JSON.stringify(name)}; alias one of them`, { path: object });
    }
    seen.add(name);
  }
}

/** The select list of a read: only the requested columns (quoted), or every column. */
export function projection(columns: readonly string[] | undefined): string {
  return columns && columns.length ? columns.map(quoteIdent).join(', ') : '*';
}
