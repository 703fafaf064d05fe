/**
 * The SQL of in-warehouse change detection, as pure string builders (no I/O), shared by every
 * warehouse dialect. Tables live in the schema ebb owns (`changeDetection.inWarehouse.schema`):
 *
 * - `<sync>_<h>_run_<r>`: the run's snapshot: the model's key columns and, per destination, a
 *   hash of the columns its mapping reads salted with its mapping version. Dropped at the end
 *   of the plan.
 * - `<sync>_<h>_snap`: per destination, the committed snapshot (key columns, `_ebb_h`). A NULL
 *   hash marks a key the destination may hold but whose last change was not committed (a
 *   rejected row, a duplicated key): it is always a candidate again.
 * - `<sync>_<h>_meta`: per destination, the run whose commit the snapshot reflects.
 * - `<sync>_<h>_cand_<r>`: per destination and run, the candidates: keys added, changed or
 *   removed since the committed snapshot (`_ebb_ref` numbers them), kept until commit.
 */
import { createHash } from 'node:crypto';
import { quoteIdent } from '../connectors/sources/sql-model';

const short = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);
/** Table names stay under PostgreSQL's 63-byte limit; the hash keeps them distinct. */
const slug = (s: string) => s.replace(/[^a-z0-9_]/g, '_').slice(0, 24);

/** The quoted names of one destination's tables for a run. */
export interface WarehouseTables {
  schema: string;
  snap: string;
  meta: string;
  cand: string;
  run: string;
  /** Prefix (unquoted) of every table of this sync, to find leftovers. */
  syncPrefix: string;
  /** Unquoted name of the candidates table. */
  candName: string;
}

/** Names the tables of `sync`/`dest` for `runId` in `schema`. */
export function warehouseTables(schema: string, sync: string, dest: string, runId: string): WarehouseTables {
  const syncPrefix = `ebb_${slug(sync)}_${short(sync)}_`;
  const destPart = `${syncPrefix}${short(`${sync}\u0000${dest}`)}`;
  const q = (t: string) => `${quoteIdent(schema)}.${quoteIdent(t)}`;
  const candName = `${destPart}_cand_${short(runId)}`;
  return {
    schema: quoteIdent(schema),
    snap: q(`${destPart}_snap`),
    meta: q(`${destPart}_meta`),
    cand: q(candName),
    run: q(`${syncPrefix}run_${short(runId)}`),
    syncPrefix,
    candName,
  };
}

/** A string literal. */
export function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** What the run snapshot holds: key columns, and one hash column per destination. */
export interface RunSnapshotShape {
  /** The model's SQL, wrapped (a SELECT). */
  modelSql: string;
  keyColumns: readonly string[];
  /** Per destination: the model columns its mapping reads, and its mapping version (the salt). */
  hashes: readonly { columns: readonly string[]; salt: string }[];
  hash: (columns: readonly string[], salt: string) => string;
}

/** The hash column of destination `i` in the run snapshot. */
export const hashColumn = (i: number) => `_ebb_h${i}`;

/** `CREATE TABLE run AS SELECT keys, hashes FROM model`. */
export function createRunSnapshot(t: WarehouseTables, s: RunSnapshotShape): string {
  const keys = s.keyColumns.map(quoteIdent);
  const hashes = s.hashes.map((h, i) => `${s.hash(h.columns.map((c) => `m.${quoteIdent(c)}`), literal(h.salt))} AS ${hashColumn(i)}`);
  return `CREATE TABLE ${t.run} AS SELECT ${[...keys.map((k) => `m.${k}`), ...hashes].join(', ')} FROM (${s.modelSql}) AS m`;
}

/** A row whose key cannot be tracked, as `keyOf` decides: a NULL or empty key part. */
export function nullKeyPredicate(keyColumns: readonly string[], alias: string): string {
  return keyColumns.map((k) => `${alias}.${quoteIdent(k)} IS NULL OR CAST(${alias}.${quoteIdent(k)} AS VARCHAR) = ''`).join(' OR ');
}

/** Rows read and rows with an untrackable key, from the run snapshot. */
export function countRunSnapshot(t: WarehouseTables, keyColumns: readonly string[]): string {
  return `SELECT count(*) AS rows_read, count(*) FILTER (WHERE ${nullKeyPredicate(keyColumns, 'r')}) AS null_keys FROM ${t.run} AS r`;
}

/** Creates the committed snapshot and meta tables if missing, typed after the model's keys. */
export function ensureCommitted(t: WarehouseTables, keyColumns: readonly string[], destIndex: number): string[] {
  const keys = keyColumns.map((k) => `r.${quoteIdent(k)}`).join(', ');
  return [
    `CREATE TABLE IF NOT EXISTS ${t.snap} AS SELECT ${keys}, r.${hashColumn(destIndex)} AS _ebb_h FROM ${t.run} AS r WHERE 1 = 0`,
    `CREATE TABLE IF NOT EXISTS ${t.meta} (committed_run VARCHAR)`,
  ];
}

/**
 * The candidates of one destination, numbered (`_ebb_ref`, in no particular order: a window
 * ordered over millions of keys cannot spill to disk in DuckDB):
 * - `changed`: keys new to the committed snapshot, with another hash, with a NULL (uncommitted)
 *   hash, or gone from the model. The join runs on the run snapshot as it is; only the few
 *   candidate keys are then counted back in it, so a key that is duplicated in the model is
 *   flagged (`_ebb_dup`) without aggregating the whole model;
 * - `every`: every key of the model and of the committed snapshot (a full resync);
 * - `rebuild`: every key of the model, the committed snapshot unread (the first run, or a
 *   snapshot that does not reflect the state store's last commit); removes are then found by
 *   the state store.
 */
export function createCandidates(t: WarehouseTables, keyColumns: readonly string[], destIndex: number, mode: 'changed' | 'every' | 'rebuild'): string {
  const k = keyColumns.map(quoteIdent);
  const h = hashColumn(destIndex);
  const tracked = `SELECT * FROM ${t.run} AS r WHERE NOT (${nullKeyPredicate(keyColumns, 'r')})`;
  if (mode === 'rebuild') {
    return `CREATE TABLE ${t.cand} AS SELECT row_number() OVER () AS _ebb_ref, ${k.join(', ')},
      'upsert' AS _ebb_kind, _ebb_h, _ebb_n > 1 AS _ebb_dup
      FROM (SELECT ${k.join(', ')}, min(${h}) AS _ebb_h, count(*) AS _ebb_n FROM (${tracked}) AS r GROUP BY ${k.join(', ')}) AS g`;
  }
  const on = (a: string, b: string) => k.map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ');
  const first = k[0];
  const changed = `WHERE r.${first} IS NULL OR w.${first} IS NULL OR w._ebb_h IS NULL OR r.${h} <> w._ebb_h`;
  return `CREATE TABLE ${t.cand} AS WITH d AS (
      SELECT DISTINCT ${k.map((c) => `coalesce(r.${c}, w.${c}) AS ${c}`).join(', ')}
      FROM (${tracked}) AS r FULL OUTER JOIN ${t.snap} AS w ON ${on('r', 'w')}
      ${mode === 'every' ? '' : changed})
    SELECT row_number() OVER () AS _ebb_ref, ${k.map((c) => `d.${c}`).join(', ')},
      CASE WHEN n._ebb_n IS NULL THEN 'remove' ELSE 'upsert' END AS _ebb_kind, n._ebb_h, coalesce(n._ebb_n > 1, false) AS _ebb_dup
    FROM d LEFT JOIN (
      SELECT ${k.map((c) => `r.${c}`).join(', ')}, count(*) AS _ebb_n, min(r.${h}) AS _ebb_h
      FROM ${t.run} AS r JOIN d ON ${on('r', 'd')} GROUP BY ${k.map((c) => `r.${c}`).join(', ')}) AS n ON ${on('n', 'd')}`;
}

/** The model's rows of the upsert candidates (every row of a duplicated key), with their ref. */
export function readUpserts(t: WarehouseTables, modelSql: string, keyColumns: readonly string[], columns: readonly string[]): string {
  const on = keyColumns.map((c) => `m.${quoteIdent(c)} = c.${quoteIdent(c)}`).join(' AND ');
  const cols = columns.map((c) => `m.${quoteIdent(c)}`).join(', ');
  return `SELECT ${cols}, c._ebb_ref FROM (${modelSql}) AS m JOIN ${t.cand} AS c ON ${on} WHERE c._ebb_kind = 'upsert'`;
}

/** The key columns of removed candidates, with their ref. */
export function readRemoves(t: WarehouseTables, keyColumns: readonly string[]): string {
  return `SELECT ${keyColumns.map(quoteIdent).join(', ')}, _ebb_ref FROM ${t.cand} WHERE _ebb_kind = 'remove'`;
}

/** The run whose commit the committed snapshot reflects. */
export function readMeta(t: WarehouseTables): string {
  return `SELECT committed_run FROM ${t.meta}`;
}

/** The tables of a sync in the schema (to drop leftovers of runs that never committed). */
export function listSyncTables(schema: string, syncPrefix: string): string {
  return `SELECT table_name FROM information_schema.tables WHERE table_schema = ${literal(schema)} AND table_name LIKE ${literal(`${syncPrefix}%`)}`;
}

/** Does the candidates table of a run still exist? */
export function candidatesExist(schema: string, candName: string): string {
  return `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ${literal(schema)} AND table_name = ${literal(candName)}`;
}

/**
 * Moves the committed snapshot past a run, in the commit's transaction. `pending` is a table
 * of the refs the destination did not take (rejected, retryable, never acknowledged): they get
 * a NULL hash, as do duplicated keys, so they are candidates again next run. Every other
 * candidate takes its new hash, or leaves the snapshot if it was removed; with `keepRemoved`
 * (a mode that never deletes), removed keys stay, as the state store keeps them, so a later
 * switch to mirror still deletes them. A `rebuild` first voids every hash it does not replace:
 * entries left from before cannot be trusted to match the state store.
 */
export function mergeCommitted(t: WarehouseTables, keyColumns: readonly string[], pending: string, o: { rebuild: boolean; keepRemoved: boolean }): string[] {
  const k = keyColumns.map(quoteIdent);
  const match = k.map((c) => `c.${c} = ${t.snap}.${c}`).join(' AND ');
  const isPending = `c._ebb_ref IN (SELECT ref FROM ${pending})`;
  const replaced = o.keepRemoved ? `(c._ebb_kind = 'upsert' OR ${isPending})` : 'true';
  return [
    ...(o.rebuild ? [`UPDATE ${t.snap} SET _ebb_h = NULL`] : []),
    `DELETE FROM ${t.snap} WHERE EXISTS (SELECT 1 FROM ${t.cand} AS c WHERE ${match} AND ${replaced})`,
    `INSERT INTO ${t.snap} SELECT ${k.map((c) => `c.${c}`).join(', ')}, CASE WHEN c._ebb_dup OR ${isPending} THEN NULL ELSE c._ebb_h END FROM ${t.cand} AS c
     WHERE c._ebb_kind = 'upsert' OR ${isPending}`,
  ];
}

/** Records which run the committed snapshot now reflects (NULL: rebuild on the next run). */
export function writeMeta(t: WarehouseTables, runId: string | null): string[] {
  return [`DELETE FROM ${t.meta}`, `INSERT INTO ${t.meta} (committed_run) VALUES (${runId === null ? 'NULL' : literal(runId)})`];
}
