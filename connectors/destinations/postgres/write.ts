/**
 * Writes a batch to a table with one set-based statement per operation, all in one
 * transaction. Rows travel as one JSON array parameter expanded by
 * `json_populate_recordset(NULL::table, $1)`, so PostgreSQL converts each value to its
 * column's type and the statement stays the same whatever the batch size.
 *
 * When a statement fails because of some row's data (a constraint, a value too long, a bad
 * literal), the batch is split in halves and retried until the bad rows stand alone: they are
 * returned `rejected`, and every other row is written. Each sub-batch is idempotent, so the
 * rows written before a later split failed do no harm when the chunk is retried.
 */
import { configError } from '../../../domain/errors';
import type { RecordWrite, RowResult, WriteBatch, WriteResult, WriteOp } from '../../types';
import type { PgClient, Queryable, TableMeta } from './client';
import { isRowDataError, rowRejectionReason, toEbbError } from './errors';

/** Writes `batch` to `table`; see the module comment. */
export async function writeBatch(client: PgClient, table: TableMeta, batch: WriteBatch): Promise<WriteResult> {
  if (batch.records.length === 0) return { results: [] };
  validate(table, batch);
  const site = { table: displayName(table), server: client.server() };

  const applyOrSplit = async (records: RecordWrite[]): Promise<RowResult[]> => {
    try {
      return await client.transaction((q) => applyOnce(q, table, batch.idField, records));
    } catch (err) {
      if (!isRowDataError(err)) throw toEbbError(err, site);
      if (records.length === 1) return [{ seq: records[0].seq, status: 'rejected', reason: rowRejectionReason(err, records[0].fields) }];
      const mid = Math.ceil(records.length / 2);
      return [...(await applyOrSplit(records.slice(0, mid))), ...(await applyOrSplit(records.slice(mid)))];
    }
  };
  return { results: await applyOrSplit(batch.records) };
}

/** `schema.name`, for messages. */
export function displayName(t: Pick<TableMeta, 'schema' | 'name'>): string {
  return `${t.schema}.${t.name}`;
}

/** Refuses, for the whole batch, what no row could fix: unknown columns, an idField ON CONFLICT cannot use. */
function validate(table: TableMeta, batch: WriteBatch): void {
  const name = displayName(table);
  const columns = new Map(table.columns.map((c) => [c.name, c]));
  const id = columns.get(batch.idField);
  if (!id) throw configError(`idField "${batch.idField}" is not a column of table ${name}; add the column or set idField to one`, { path: `table ${name}` });
  const needsConflictTarget = batch.records.some((r) => r.op === 'upsert' || r.op === 'insert');
  if (needsConflictTarget && !id.unique) {
    throw configError(
      `idField "${batch.idField}" is neither the primary key nor a unique column of table ${name}, so upserts cannot find existing rows; add a unique constraint on it or choose another idField`,
      { path: `table ${name}` },
    );
  }
  for (const r of batch.records) {
    for (const field of Object.keys(r.fields)) {
      if (!columns.has(field)) {
        throw configError(`column "${field}" does not exist in table ${name}; add it to the table or remove it from the mapping`, { path: `table ${name}` });
      }
    }
  }
}

/** One transaction: deletes, then each writing operation as one statement. */
async function applyOnce(q: Queryable, table: TableMeta, idField: string, records: RecordWrite[]): Promise<RowResult[]> {
  const byOp = new Map<WriteOp, RecordWrite[]>();
  for (const r of records) {
    const list = byOp.get(r.op);
    if (list) list.push(r);
    else byOp.set(r.op, [r]);
  }
  const results = new Map<number, RowResult>(records.map((r) => [r.seq, { seq: r.seq, status: 'ok' }]));
  const t = qualified(table);
  const id = ident(idField);

  const deletes = byOp.get('delete');
  if (deletes) {
    await q.query(`DELETE FROM ${t} WHERE ${id} IN (SELECT ${id} FROM json_populate_recordset(NULL::${t}, $1::json))`, [payload(deletes)]);
  }
  for (const op of ['upsert', 'insert'] as const) {
    const rows = byOp.get(op);
    if (!rows) continue;
    // Batches come from one mapping, so records share their fields; a field one record lacks
    // would be written as NULL.
    const cols = columnsOf(rows);
    const set = cols.filter((c) => c !== idField).map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`);
    const onConflict = op === 'upsert' && set.length > 0 ? `DO UPDATE SET ${set.join(', ')}` : 'DO NOTHING';
    const list = cols.map(ident).join(', ');
    await q.query(
      `INSERT INTO ${t} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${t}, $1::json) ON CONFLICT (${id}) ${onConflict}`,
      [payload(rows)],
    );
  }
  const updates = byOp.get('update');
  if (updates) {
    const cols = columnsOf(updates).filter((c) => c !== idField);
    // Updating only the identity is a no-op that still tells us which rows exist.
    const set = (cols.length > 0 ? cols : [idField]).map((c) => `${ident(c)} = __ebb_in.${ident(c)}`).join(', ');
    const matched = await q.query<{ n: string }>(
      `UPDATE ${t} AS __ebb_t SET ${set}
         FROM json_populate_recordset(NULL::${t}, $1::json) WITH ORDINALITY AS __ebb_in
        WHERE __ebb_t.${id} = __ebb_in.${id}
        RETURNING __ebb_in.ordinality AS n`,
      [payload(updates)],
    );
    const found = new Set(matched.rows.map((r) => Number(r.n)));
    updates.forEach((r, i) => {
      if (!found.has(i + 1)) results.set(r.seq, { seq: r.seq, status: 'rejected', reason: 'record not found (update mode changes existing rows only)' });
    });
  }
  return [...results.values()];
}

/** The union of the records' field names, in first-seen order. */
function columnsOf(records: RecordWrite[]): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r.fields)) seen.add(k);
  return [...seen];
}

// bigint is not JSON; its decimal text is what PostgreSQL parses for numeric and int8 columns.
// Staged rows never hold one (they come from JSON), so the replacer runs only when
// JSON.stringify refuses a bigint, instead of scanning every value of every row first.
const payload = (records: RecordWrite[]) => {
  const rows = records.map((r) => r.fields);
  try {
    return JSON.stringify(rows);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
};

/** A double-quoted identifier. */
export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

const qualified = (t: Pick<TableMeta, 'schema' | 'name'>) => `${ident(t.schema)}.${ident(t.name)}`;
