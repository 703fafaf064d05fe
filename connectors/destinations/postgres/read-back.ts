import { configError } from '../../../domain/errors';
import type { ReadBackRequest } from '../../types';
import type { Queryable, TableMeta } from './client';
import { displayName, ident } from './write';

/**
 * Reads `fields` of the rows whose `idField` is one of `ids` (compared as text, as ids travel),
 * in one query. Used for canary read-back and for rollback before-images.
 */
export async function readBack(q: Queryable, table: TableMeta, req: ReadBackRequest): Promise<Map<string, Record<string, unknown>>> {
  const columns = new Set(table.columns.map((c) => c.name));
  for (const f of [req.idField, ...req.fields]) {
    if (!columns.has(f)) throw configError(`column "${f}" does not exist in table ${displayName(table)}; fix the mapping or the table`, { path: `table ${displayName(table)}` });
  }
  const out = new Map<string, Record<string, unknown>>();
  if (req.ids.length === 0) return out;
  const select = [`${ident(req.idField)}::text AS "__ebb_id"`, ...req.fields.map(ident)].join(', ');
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT ${select} FROM ${ident(table.schema)}.${ident(table.name)} WHERE ${ident(req.idField)}::text = ANY($1::text[])`,
    [req.ids],
  );
  for (const row of rows) {
    const { __ebb_id: id, ...fields } = row;
    out.set(String(id), fields);
  }
  return out;
}
