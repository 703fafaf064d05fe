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
 * - `<sync>_<h>_pend_<r>`: per destination and run, during its commit only: the refs the
 *   destination did not take.
 *
 * Every builder takes the warehouse's {@link WarehouseDialect}: identifiers and the columns ebb
 * reads back are quoted in it (Snowflake folds unquoted names to upper case), and its types,
 * row numbering and DDL forms are used.
 */
import { createHash } from 'node:crypto';
import type { WarehouseDialect } from '../connectors/types';

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
  pend: string;
  /** Prefix (unquoted) of every table of this sync, to find leftovers. */
  syncPrefix: string;
  /** Unquoted names, to look tables up in the catalog. */
  names: { snap: string; cand: string; run: string };
}

/** Names the tables of `sync`/`dest` for `runId` in `schema`. */
export function warehouseTables(d: WarehouseDialect, schema: string, sync: string, dest: string, runId: string): WarehouseTables {
  const syncPrefix = `ebb_${slug(sync)}_${short(sync)}_`;
  const destPart = `${syncPrefix}${short(`${sync}\u0000${dest}`)}`;
  const q = (t: string) => `${d.quote(schema)}.${d.quote(t)}`;
  const names = { snap: `${destPart}_snap`, cand: `${destPart}_cand_${short(runId)}`, run: `${syncPrefix}run_${short(runId)}` };
  return {
    schema: d.quote(schema),
    snap: q(names.snap),
    meta: q(`${destPart}_meta`),
    cand: q(names.cand),
    run: q(names.run),
    pend: q(`${destPart}_pend_${short(runId)}`),
    syncPrefix,
    names,
  };
}

/** Names of tables a run leaves until its commit or the next plan drops them. */
export const RUN_TABLE = /_(cand|run|pend)_[0-9a-f]{8}$/;

/** What the run snapshot holds: key columns, one hash column per destination, and maybe rows. */
export interface RunSnapshotShape {
  /** The model's SQL, wrapped (a SELECT). */
  modelSql: string;
  keyColumns: readonly string[];
  /** Per destination: the model columns its mapping reads, and its mapping version (the salt). */
  hashes: readonly { columns: readonly string[]; salt: string }[];
  /**
   * Columns copied as they are, for a warehouse whose statements do not share one snapshot:
   * the rows read out then come from this table, not from the model read again.
   */
  copied?: readonly string[];
}

/** The hash column of destination `i` in the run snapshot. */
export const hashColumn = (i: number) => `_ebb_h${i}`;

/** `CREATE TABLE run AS SELECT keys, hashes[, copied columns] FROM model`. */
export function createRunSnapshot(d: WarehouseDialect, t: WarehouseTables, s: RunSnapshotShape): string {
  const columns = [...new Set([...s.keyColumns, ...(s.copied ?? [])])].map((c) => `m.${d.quote(c)}`);
  const hashes = s.hashes.map((h, i) => `${d.hash(h.columns.map((c) => `m.${d.quote(c)}`), d.literal(h.salt))} AS ${d.quote(hashColumn(i))}`);
  return `CREATE TABLE ${t.run} AS SELECT ${[...columns, ...hashes].join(', ')} FROM (${s.modelSql}) AS m`;
}

/** A row whose key cannot be tracked, as `keyOf` decides: a NULL or empty key part. */
export function nullKeyPredicate(d: WarehouseDialect, keyColumns: readonly string[], alias: string): string {
  return keyColumns.map((k) => `${alias}.${d.quote(k)} IS NULL OR CAST(${alias}.${d.quote(k)} AS ${d.stringType}) = ''`).join(' OR ');
}

/** Rows read and rows with an untrackable key, from the run snapshot. */
export function countRunSnapshot(d: WarehouseDialect, t: WarehouseTables, keyColumns: readonly string[]): string {
  return `SELECT count(*) AS ${d.quote('rows_read')}, coalesce(sum(CASE WHEN ${nullKeyPredicate(d, keyColumns, 'r')} THEN 1 ELSE 0 END), 0) AS ${d.quote('null_keys')} FROM ${t.run} AS r`;
}

/** The committed snapshot, typed after the model's keys, and the meta table, created if missing. */
export function createCommitted(d: WarehouseDialect, t: WarehouseTables, keyColumns: readonly string[], destIndex: number, o: { exists: boolean }): string[] {
  const keys = keyColumns.map((k) => `r.${d.quote(k)}`).join(', ');
  const select = `SELECT ${keys}, r.${d.quote(hashColumn(destIndex))} AS ${d.quote('_ebb_h')} FROM ${t.run} AS r WHERE 1 = 0`;
  const snap = d.createIfNotExistsAs ? [`CREATE TABLE IF NOT EXISTS ${t.snap} AS ${select}`] : o.exists ? [] : [`CREATE TABLE ${t.snap} AS ${select}`];
  return [...snap, createMeta(d, t)];
}

/** The meta table, if missing. */
export function createMeta(d: WarehouseDialect, t: WarehouseTables): string {
  return `CREATE TABLE IF NOT EXISTS ${t.meta} (${d.quote('committed_run')} ${d.stringType})`;
}

/**
 * The candidates of one destination, numbered (`_ebb_ref`, in no particular order where the
 * engine allows: a window ordered over millions of keys cannot spill to disk in DuckDB):
 * - `changed`: keys new to the committed snapshot, with another hash, with a NULL (uncommitted)
 *   hash, or gone from the model. The join runs on the run snapshot as it is; only the few
 *   candidate keys are then counted back in it, so a key that is duplicated in the model is
 *   flagged (`_ebb_dup`) without aggregating the whole model;
 * - `every`: every key of the model and of the committed snapshot (a full resync);
 * - `rebuild`: every key of the model, the committed snapshot unread (the first run, or a
 *   snapshot that does not reflect the state store's last commit); removes are then found by
 *   the state store.
 */
export function createCandidates(d: WarehouseDialect, t: WarehouseTables, keyColumns: readonly string[], destIndex: number, mode: 'changed' | 'every' | 'rebuild'): string {
  const q = d.quote;
  const k = keyColumns.map(q);
  const [H, REF, KIND, DUP, N] = [q(hashColumn(destIndex)), q('_ebb_ref'), q('_ebb_kind'), q('_ebb_dup'), q('_ebb_n')];
  const WH = q('_ebb_h');
  const tracked = `SELECT * FROM ${t.run} AS r WHERE NOT (${nullKeyPredicate(d, keyColumns, 'r')})`;
  if (mode === 'rebuild') {
    return `CREATE TABLE ${t.cand} AS SELECT ${d.rowNumber(k.map((c) => `g.${c}`))} AS ${REF}, ${k.map((c) => `g.${c}`).join(', ')},
      'upsert' AS ${KIND}, g.${WH}, g.${N} > 1 AS ${DUP}
      FROM (SELECT ${k.map((c) => `r.${c}`).join(', ')}, min(r.${H}) AS ${WH}, count(*) AS ${N} FROM (${tracked}) AS r GROUP BY ${k.map((c) => `r.${c}`).join(', ')}) AS g`;
  }
  const on = (a: string, b: string) => k.map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ');
  const first = k[0];
  const changed = `WHERE r.${first} IS NULL OR w.${first} IS NULL OR w.${WH} IS NULL OR r.${H} <> w.${WH}`;
  return `CREATE TABLE ${t.cand} AS WITH d AS (
      SELECT DISTINCT ${k.map((c) => `coalesce(r.${c}, w.${c}) AS ${c}`).join(', ')}
      FROM (${tracked}) AS r FULL OUTER JOIN ${t.snap} AS w ON ${on('r', 'w')}
      ${mode === 'every' ? '' : changed})
    SELECT ${d.rowNumber(k.map((c) => `d.${c}`))} AS ${REF}, ${k.map((c) => `d.${c}`).join(', ')},
      CASE WHEN n.${N} IS NULL THEN 'remove' ELSE 'upsert' END AS ${KIND}, n.${WH}, coalesce(n.${N} > 1, false) AS ${DUP}
    FROM d LEFT JOIN (
      SELECT ${k.map((c) => `r.${c}`).join(', ')}, count(*) AS ${N}, min(r.${H}) AS ${WH}
      FROM ${t.run} AS r JOIN d ON ${on('r', 'd')} GROUP BY ${k.map((c) => `r.${c}`).join(', ')}) AS n ON ${on('n', 'd')}`;
}

/**
 * The rows of the upsert candidates (every row of a duplicated key), with their ref: from the
 * model (`from` its SQL) in a transactional warehouse, else from the run snapshot's copies.
 */
export function readUpserts(d: WarehouseDialect, t: WarehouseTables, from: string, keyColumns: readonly string[], columns: readonly string[]): string {
  const on = keyColumns.map((c) => `m.${d.quote(c)} = c.${d.quote(c)}`).join(' AND ');
  const cols = columns.map((c) => `m.${d.quote(c)}`).join(', ');
  return `SELECT ${cols}, c.${d.quote('_ebb_ref')} FROM (${from}) AS m JOIN ${t.cand} AS c ON ${on} WHERE c.${d.quote('_ebb_kind')} = 'upsert'`;
}

/** The key columns of removed candidates, with their ref. */
export function readRemoves(d: WarehouseDialect, t: WarehouseTables, keyColumns: readonly string[]): string {
  return `SELECT ${[...keyColumns, '_ebb_ref'].map(d.quote).join(', ')} FROM ${t.cand} WHERE ${d.quote('_ebb_kind')} = 'remove'`;
}

/** The run whose commit the committed snapshot reflects. */
export function readMeta(d: WarehouseDialect, t: WarehouseTables): string {
  return `SELECT ${d.quote('committed_run')} FROM ${t.meta}`;
}

/**
 * Moves the committed snapshot past a run. `t.pend` holds the refs the destination did not
 * take (rejected, retryable, never acknowledged): they get a NULL hash, as do duplicated keys,
 * so they are candidates again next run. Every other candidate takes its new hash, or leaves
 * the snapshot if it was removed; with `keepRemoved` (a mode that never deletes), removed keys
 * stay, as the state store keeps them, so a later switch to mirror still deletes them. A
 * `rebuild` first voids every hash it does not replace: entries left from before cannot be
 * trusted to match the state store. Repeating the statements from the first gives the same
 * snapshot, so a warehouse without transactions finishes an interrupted commit by redoing it.
 */
export function mergeCommitted(d: WarehouseDialect, t: WarehouseTables, keyColumns: readonly string[], o: { rebuild: boolean; keepRemoved: boolean }): string[] {
  const q = d.quote;
  const k = keyColumns.map(q);
  const target = d.deleteAlias ? 's' : t.snap;
  const match = k.map((c) => `c.${c} = ${target}.${c}`).join(' AND ');
  // A join rather than `IN (SELECT …)`: Spark SQL takes subqueries only in a WHERE, never nested.
  const withPending = `${t.cand} AS c LEFT JOIN ${t.pend} AS p ON p.${q('ref')} = c.${q('_ebb_ref')}`;
  const isPending = `p.${q('ref')} IS NOT NULL`;
  const replaced = o.keepRemoved ? `(c.${q('_ebb_kind')} = 'upsert' OR ${isPending})` : 'true';
  const del = d.keyTuple
    ? `DELETE FROM ${t.snap} WHERE ${d.keyTuple(k)} IN (SELECT ${d.keyTuple(k.map((c) => `c.${c}`))} FROM ${withPending} WHERE ${replaced})`
    : `DELETE FROM ${t.snap}${d.deleteAlias ? ' AS s' : ''} WHERE EXISTS (SELECT 1 FROM ${withPending} WHERE ${match} AND ${replaced})`;
  return [
    ...(o.rebuild ? [`UPDATE ${t.snap} SET ${q('_ebb_h')} = NULL WHERE 1 = 1`] : []),
    del,
    `INSERT INTO ${t.snap} SELECT ${k.map((c) => `c.${c}`).join(', ')}, CASE WHEN c.${q('_ebb_dup')} OR ${isPending} THEN NULL ELSE c.${q('_ebb_h')} END FROM ${withPending}
     WHERE c.${q('_ebb_kind')} = 'upsert' OR ${isPending}`,
  ];
}

/** The table of refs the destination did not take, empty. */
export function createPending(d: WarehouseDialect, t: WarehouseTables): string[] {
  return [`DROP TABLE IF EXISTS ${t.pend}`, `CREATE TABLE ${t.pend} (${d.quote('ref')} ${d.integerType})`];
}

/** Adds refs to the pending table; each ref once (the merge joins on it). */
export function insertPending(d: WarehouseDialect, t: WarehouseTables, refs: readonly number[]): string {
  return `INSERT INTO ${t.pend} (${d.quote('ref')}) VALUES ${[...new Set(refs.map(Math.trunc))].map((r) => `(${r})`).join(', ')}`;
}

/** Records which run the committed snapshot now reflects (NULL: rebuild on the next run). */
export function writeMeta(d: WarehouseDialect, t: WarehouseTables, runId: string | null): string[] {
  return [`DELETE FROM ${t.meta} WHERE 1 = 1`, `INSERT INTO ${t.meta} (${d.quote('committed_run')}) VALUES (${runId === null ? 'NULL' : d.literal(runId)})`];
}
