import type { RowResult, WriteOp } from '../connectors/types';
import type { DestinationPlan } from '../domain/plan';
import { MODE_OPS } from '../domain/sync-modes';
import type { SyncMode } from '../domain/spec/schema';
import type { CanaryCohort } from '../domain/spec/safety';
import { cohortOrderedChanges, cohortPredicate } from './cohort';
import { formatHashTotal, hashPrefixSum } from './hash-total';
import type { SqlDriver } from './sql-driver';
import { STATE_SCHEMA_VERSION, stageTable, stateDdl } from './schema';

/** One staged change, as the apply step reads it back. */
export interface StagedChange {
  seq: number;
  key: string;
  op: WriteOp;
  /** JSON of the destination's id field value (for deletes, the value last committed). */
  destId: string | null;
  /** JSON of the mapped fields; null for deletes (and when `fields` carries them parsed). */
  payload: string | null;
  /** The mapped fields, already parsed (bulk reads parse them in one go). */
  fields?: Record<string, unknown> | null;
}

/** A chunk read back for writing, with the size of its payloads (for egress accounting). */
export interface StagedChunk {
  changes: StagedChange[];
  /** Bytes of the mapped payloads as JSON. */
  bytes: number;
}

/** Appends the model's hashed rows for a run. */
export interface StageWriter {
  /**
   * `payload` is the canonical JSON of the mapped fields; its md5 is the row hash. May return
   * synchronously. In-warehouse runs also pass the row's candidate number (`ref`), and stage
   * removed keys as markers (`removed`, with an empty payload).
   */
  append(row: { dest: string; key: string; cursor: number | null; destId: string; payload: string; ref?: number; removed?: boolean }): Promise<void> | void;
  close(): Promise<void>;
}

/** Inputs of a destination's diff. */
export interface DiffRequest {
  runId: string;
  sync: string;
  dest: string;
  mode: SyncMode;
  chunkSize: number;
  /** Only a full read of the model can tell a removed row from one outside the read window. */
  detectRemoves: boolean;
  /** Send every staged row whatever its hash (a resync on demand). */
  fullResync: boolean;
  /**
   * In-warehouse runs: the stage holds only the warehouse's candidates (`subset`), removed keys
   * as markers, and `unchangedOutside` rows of the model that the warehouse found unchanged.
   * Without `subset` (a rebuild), the stage holds every row, as in a state-store run. A subset
   * without `unchangedOutside` (a cdc run) counts the committed keys it did not stage.
   */
  warehouse?: { subset: boolean; unchangedOutside?: number };
  /**
   * A canary cohort: its changes take the first seqs and fill the first chunks on their own
   * (see {@link cohortPredicate}), so "the canary" is simply chunks `[0, canaryChunks)`.
   */
  cohort?: CanaryCohort;
  /**
   * The cursor given to removed keys' changes (a cdc run's read start), so a delete the
   * destination did not take holds the committed point back like any pending row. Absent: none.
   */
  removeCursor?: number;
}

/** What a commit did. */
export interface CommitResult {
  committed: number;
  pending: number;
  watermark?: number;
  /**
   * Hash total (see state/hash-total.ts) of the changes committed, taken from the snapshot the
   * commit wrote (plus the acknowledged deletes): with the pending rows' total it adds up to
   * the plan's `hashTotal`.
   */
  hashTotal?: string;
  /** Hash total of the changes left pending. */
  pendingHashTotal?: string;
}

/** A rejected or retryable row kept for the next run, with its reason. */
export interface PendingRow {
  runId: string;
  seq: number;
  key: string;
  status: string;
  reason: string | null;
}

/** One row of a run and what the destination did with it. */
export interface RowOutcome {
  seq: number;
  key: string;
  op: string;
  status: string;
  reason: string | null;
}

/** Where a run's destination was planned inside the source warehouse. */
export interface WarehouseRun {
  runId: string;
  dest: string;
  sync: string;
  /** The spec's source (kind and connection, secrets as references only). */
  source: { kind: string; connection: Record<string, unknown> };
  schema: string;
  keyColumns: string[];
  /** The candidates were every key of the model: the commit replaces the warehouse snapshot. */
  rebuild: boolean;
  /** The destination's mode never deletes: removed keys stay in the warehouse snapshot, as in the state store's. */
  keepRemoved: boolean;
}

/** Runs per destination whose per-row records are kept. */
export const RETAINED_RUNS = 20;

/** Terminal and in-flight run states. */
export type RunStatus = 'planning' | 'applying' | 'committed' | 'failed' | 'dry-run' | 'halted' | 'rolled-back';

/**
 * The state store: committed snapshots, staged change sets, watermarks, run records and row
 * outcomes. Every state transition is one SQL transaction, and the commit happens only for
 * rows whose chunk the destination acknowledged without rejecting them.
 */
export class StateStore {
  private readonly stage: string;

  constructor(readonly driver: SqlDriver) {
    this.stage = stageTable(driver.dialect);
  }

  /** Creates the tables (idempotent). */
  async migrate(): Promise<void> {
    for (const stmt of stateDdl(this.driver.dialect)) await this.driver.exec(stmt);
    await this.driver.exec(
      `INSERT INTO ebb_meta (name, value) VALUES ('schema_version', $1) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
      [String(STATE_SCHEMA_VERSION)],
    );
  }

  /** Records a run as started (idempotent: a retried plan keeps the first start time). */
  async startRun(run: { runId: string; sync: string; specHash: string; workflowId: string }): Promise<void> {
    await this.driver.exec(
      `INSERT INTO ebb_runs (run_id, sync, status, started_at, spec_hash, workflow_id) VALUES ($1, $2, 'planning', now(), $3, $4)
       ON CONFLICT (run_id) DO UPDATE SET status = 'planning'`,
      [run.runId, run.sync, run.specHash, run.workflowId],
    );
  }

  /** Moves a run to a status; terminal statuses stamp `finished_at`. */
  async setRunStatus(runId: string, status: RunStatus, extra: { summary?: string; error?: string } = {}): Promise<void> {
    const terminal = status === 'committed' || status === 'failed' || status === 'dry-run';
    await this.driver.exec(
      `UPDATE ebb_runs SET status = $2, summary = coalesce($3, summary), error = coalesce($4, error)${terminal ? ', finished_at = now()' : ''} WHERE run_id = $1`,
      [runId, status, extra.summary ?? null, extra.error ?? null],
    );
  }

  /**
   * Takes the sync's lock for a run. Returns undefined when taken (or already held by this
   * run), else the current holder, which the caller may check and {@link forceLock} past.
   */
  async acquireLock(sync: string, runId: string, workflowId: string): Promise<{ runId: string; workflowId: string } | undefined> {
    return this.driver.transaction(async (tx) => {
      const [held] = await tx.query<{ run_id: string; workflow_id: string }>(`SELECT run_id, workflow_id FROM ebb_locks WHERE sync = $1`, [sync]);
      if (held && held.run_id !== runId) return { runId: held.run_id, workflowId: held.workflow_id };
      if (!held) await tx.exec(`INSERT INTO ebb_locks (sync, run_id, workflow_id, acquired_at) VALUES ($1, $2, $3, now())`, [sync, runId, workflowId]);
      return undefined;
    });
  }

  /** Takes the lock from a holder that is known to be gone. */
  async forceLock(sync: string, runId: string, workflowId: string): Promise<void> {
    await this.driver.exec(`UPDATE ebb_locks SET run_id = $2, workflow_id = $3, acquired_at = now() WHERE sync = $1`, [sync, runId, workflowId]);
  }

  /** Releases the lock if this run holds it. */
  async releaseLock(sync: string, runId: string): Promise<void> {
    await this.driver.exec(`DELETE FROM ebb_locks WHERE sync = $1 AND run_id = $2`, [sync, runId]);
  }

  /** Drops the staged change sets of the sync's earlier dry runs (kept until the next run, for inspection). */
  async dropDryRuns(sync: string, exceptRunId: string): Promise<void> {
    const dry = `SELECT run_id FROM ebb_runs WHERE sync = $1 AND status = 'dry-run' AND run_id <> $2`;
    for (const t of ['ebb_changes', 'ebb_run_destinations']) await this.driver.exec(`DELETE FROM ${t} WHERE run_id IN (${dry})`, [sync, exceptRunId]);
  }

  /**
   * The first `limit` staged changes of a run's destination, with their payloads: what a dry
   * run would send, exactly as it would be sent (available until the sync's next run).
   */
  async sampleChanges(runId: string, dest: string, limit = 5): Promise<Array<{ key: string; op: string; id: unknown; fields: Record<string, unknown> | null }>> {
    const rows = await this.driver.query<{ key: string; op: string; payload: string | null; dest_id: string | null }>(
      `SELECT key, op, payload, dest_id FROM ebb_changes WHERE run_id = $1 AND dest = $2 ORDER BY seq LIMIT ${Math.trunc(limit)}`,
      [runId, dest],
    );
    return rows.map((r) => ({
      key: r.key,
      op: r.op,
      id: r.dest_id === null ? null : JSON.parse(r.dest_id),
      fields: r.payload === null ? null : (JSON.parse(r.payload) as Record<string, unknown>),
    }));
  }

  /** Clears anything a previous attempt of this run's plan staged, so a retried plan starts clean. */
  async resetRun(runId: string): Promise<void> {
    // The stage may live in another attached database (DuckDB): clear it in its own statement.
    await this.driver.exec(`DELETE FROM ${this.stage} WHERE run_id = $1`, [runId]);
    await this.driver.transaction(async (tx) => {
      for (const t of ['ebb_changes', 'ebb_chunk_acks', 'ebb_row_outcomes', 'ebb_run_destinations', 'ebb_warehouse_runs']) {
        await tx.exec(`DELETE FROM ${t} WHERE run_id = $1`, [runId]);
      }
    });
  }

  /** Opens the stage for a run's rows. */
  async openStage(runId: string): Promise<StageWriter> {
    const loader = await this.driver.bulkLoader(this.stage, [
      { name: 'run_id', type: 'varchar', fixed: runId },
      { name: 'dest', type: 'varchar' },
      { name: 'key', type: 'varchar' },
      { name: 'cursor', type: 'double' },
      { name: 'dest_id', type: 'varchar' },
      { name: 'payload', type: 'varchar' },
      { name: 'ref', type: 'bigint' },
      { name: 'wh_kind', type: 'varchar' },
    ]);
    return {
      append: (r) => loader.append([runId, r.dest, r.key, r.cursor, r.destId, r.payload, r.ref ?? null, r.removed ? 'remove' : null]),
      close: () => loader.close(),
    };
  }

  /** Drops a run's stage once every destination is diffed. */
  async dropStage(runId: string): Promise<void> {
    await this.driver.exec(`DELETE FROM ${this.stage} WHERE run_id = $1`, [runId]);
  }

  /**
   * Diffs the staged rows of one destination against its committed snapshot, inside the
   * database, and writes the change set with dense seq numbers. Rows sharing a primary key are
   * excluded (and counted): which of them the destination should hold is undefined.
   */
  async diffDestination(r: DiffRequest): Promise<DestinationPlan> {
    const ops = MODE_OPS[r.mode];
    const lit = (op: WriteOp | undefined) => (op ? `'${op}'` : 'NULL');
    const size = Math.trunc(r.chunkSize);
    const subset = r.warehouse?.subset ?? false;
    const removeCursor = r.removeCursor === undefined ? 'NULL' : String(Number(r.removeCursor));
    // Rows of the model (removal markers of an in-warehouse run are not).
    const rows = `run_id = $1 AND dest = $2 AND wh_kind IS NULL`;
    const sent: string[] = [];
    if (ops.add) sent.push('p.key IS NULL');
    if (ops.change) sent.push(r.fullResync ? 'p.key IS NOT NULL' : '(p.key IS NOT NULL AND p.row_hash <> s.row_hash)');
    const upserts = sent.length
      ? `SELECT s.key, CASE WHEN p.key IS NULL THEN 'add' WHEN p.row_hash <> s.row_hash THEN 'change' ELSE 'resend' END AS kind,
                CASE WHEN p.key IS NULL THEN ${lit(ops.add)} ELSE ${lit(ops.change)} END AS op,
                s.row_hash, s.cursor, s.dest_id, s.payload, s.ref
         FROM (SELECT key, cursor, dest_id, payload, md5(payload) AS row_hash, ref FROM ${this.stage} WHERE ${rows}) s
         LEFT JOIN ebb_snapshots p ON p.sync = $3 AND p.dest = $2 AND p.key = s.key
         WHERE (${sent.join(' OR ')})
           AND s.key NOT IN (SELECT key FROM ${this.stage} WHERE ${rows} GROUP BY key HAVING count(*) > 1)`
      : undefined;
    // A state-store run staged the whole model: a committed key not staged is gone. An
    // in-warehouse run staged the keys the warehouse found gone, as markers.
    const removes =
      ops.remove && r.detectRemoves
        ? subset
          ? `SELECT p.key, 'remove' AS kind, ${lit(ops.remove)} AS op, p.row_hash, CAST(${removeCursor} AS DOUBLE PRECISION) AS cursor, p.dest_id, CAST(NULL AS VARCHAR) AS payload, s.ref
             FROM ${this.stage} s JOIN ebb_snapshots p ON p.sync = $3 AND p.dest = $2 AND p.key = s.key
             WHERE s.run_id = $1 AND s.dest = $2 AND s.wh_kind = 'remove'`
          : `SELECT p.key, 'remove' AS kind, ${lit(ops.remove)} AS op, p.row_hash, CAST(${removeCursor} AS DOUBLE PRECISION) AS cursor, p.dest_id, CAST(NULL AS VARCHAR) AS payload, CAST(NULL AS BIGINT) AS ref
           FROM ebb_snapshots p
           WHERE p.sync = $3 AND p.dest = $2
             AND NOT EXISTS (SELECT 1 FROM ${this.stage} s WHERE s.run_id = $1 AND s.dest = $2 AND s.key = p.key AND s.wh_kind IS NULL)`
        : undefined;
    const parts = [upserts, removes].filter((p): p is string => p !== undefined);

    return this.driver.transaction(async (tx) => {
      await tx.exec(`DELETE FROM ebb_changes WHERE run_id = $1 AND dest = $2`, [r.runId, r.dest]);
      const [held] = await tx.query(`SELECT count(*) AS n FROM ebb_snapshots WHERE sync = $1 AND dest = $2`, [r.sync, r.dest]);
      const [stagedRows] = await tx.query(`SELECT count(*) AS n, count(DISTINCT key) AS keys FROM ${this.stage} WHERE ${rows}`, [r.runId, r.dest]);
      const rowsStaged = num(stagedRows.n);
      const unique = num(stagedRows.keys) === rowsStaged;
      // Changes are numbered in the order the query yields them, not sorted by key: a change set
      // is materialized once per plan, so its order only needs to be fixed, not reproducible, and
      // sorting every staged payload by key cost seconds and most of the store's memory. Rows are
      // written in seq order, so the zone maps of a chunk's row group still let a chunk read skip
      // the rest. A destination's first run with unique keys (the usual initial sync): every
      // staged row is an add, without the join and the duplicate filter of the general diff.
      if (ops.add !== undefined && !r.warehouse && !r.cohort && num(held.n) === 0 && unique) {
        await tx.exec(
          `INSERT INTO ebb_changes (run_id, dest, seq, chunk, key, kind, op, row_hash, cursor, dest_id, payload, ref)
           SELECT run_id, dest, rn, CAST(floor((rn - 1) / ${size}) AS BIGINT), key, 'add', ${lit(ops.add)}, md5(payload), cursor, dest_id, payload, ref
           FROM (SELECT *, row_number() OVER () AS rn FROM ${this.stage} WHERE ${rows}) s`,
          [r.runId, r.dest],
        );
      } else if (parts.length) {
        const numbered = r.cohort
          ? cohortOrderedChanges(parts.join(' UNION ALL '), r.cohort, size)
          : `SELECT n.*, CAST(floor((n.rn - 1) / ${size}) AS BIGINT) AS chunk
             FROM (SELECT row_number() OVER () AS rn, x.* FROM (${parts.join(' UNION ALL ')}) x) n`;
        await tx.exec(
          `INSERT INTO ebb_changes (run_id, dest, seq, chunk, key, kind, op, row_hash, cursor, dest_id, payload, ref)
           SELECT $1, $2, rn, chunk, key, kind, op, row_hash, cursor, dest_id, payload, ref FROM (${numbered}) y`,
          [r.runId, r.dest, r.sync],
        );
      }
      const [totals] = await tx.query(`SELECT count(*) AS n, ${hashPrefixSum(this.driver.dialect, 'row_hash')} AS s FROM ebb_changes WHERE run_id = $1 AND dest = $2`, [r.runId, r.dest]);
      const [kinds] = await tx.query(
        `SELECT count(*) FILTER (WHERE kind = 'add') AS adds, count(*) FILTER (WHERE kind = 'change') AS changes,
                count(*) FILTER (WHERE kind = 'remove') AS removes, count(*) FILTER (WHERE kind = 'resend') AS resends, count(*) AS total
         FROM ebb_changes WHERE run_id = $1 AND dest = $2`,
        [r.runId, r.dest],
      );
      const [staged] = unique
        ? [{ duplicates: 0 }]
        : await tx.query(
            `SELECT coalesce(sum(CASE WHEN n > 1 THEN n ELSE 0 END), 0) AS duplicates
             FROM (SELECT count(*) AS n FROM ${this.stage} WHERE ${rows} GROUP BY key) g`,
            [r.runId, r.dest],
          );
      const total = num(kinds.total);
      const plan: DestinationPlan = {
        committedRows: num(held.n),
        destination: r.dest,
        adds: num(kinds.adds),
        changes: num(kinds.changes),
        removes: num(kinds.removes),
        resends: num(kinds.resends),
        duplicates: num(staged.duplicates),
        unchanged: 0,
        total,
        chunkSize: size,
        chunks: Math.ceil(total / size),
        hashTotal: formatHashTotal(totals.n, totals.s),
      };
      if (r.cohort) {
        const [c] = await tx.query(`SELECT count(*) AS n, coalesce(max(chunk) + 1, 0) AS chunks FROM ebb_changes WHERE run_id = $1 AND dest = $2 AND ${cohortPredicate(r.cohort, 'key', 'seq')}`, [r.runId, r.dest]);
        const [all] = await tx.query(`SELECT coalesce(max(chunk) + 1, 0) AS chunks FROM ebb_changes WHERE run_id = $1 AND dest = $2`, [r.runId, r.dest]);
        plan.canaryRows = num(c.n);
        plan.canaryChunks = num(c.chunks);
        plan.chunks = num(all.chunks);
      }
      // rows read but not sent: unchanged, or a change this mode does not send
      const outside =
        r.warehouse?.unchangedOutside ??
        (subset
          ? num((await tx.query(`SELECT count(*) AS n FROM ebb_snapshots p WHERE p.sync = $1 AND p.dest = $2 AND NOT EXISTS (SELECT 1 FROM ${this.stage} s WHERE s.run_id = $3 AND s.dest = $2 AND s.key = p.key)`, [r.sync, r.dest, r.runId]))[0].n)
          : 0);
      plan.unchanged = rowsStaged - plan.duplicates - plan.adds - plan.changes - plan.resends + outside;
      await tx.exec(
        `INSERT INTO ebb_run_destinations (run_id, dest, status, chunk_size, total) VALUES ($1, $2, 'planned', ${size}, ${total})`,
        [r.runId, r.dest],
      );
      return plan;
    });
  }

  /** The destination's last committed run, if any. */
  async lastCommittedRun(sync: string, dest: string): Promise<string | undefined> {
    const [r] = await this.driver.query<{ run_id: string }>(
      `SELECT rd.run_id FROM ebb_run_destinations rd JOIN ebb_runs r ON r.run_id = rd.run_id
       WHERE r.sync = $1 AND rd.dest = $2 AND rd.status = 'committed' ORDER BY rd.committed_at DESC, rd.run_id DESC LIMIT 1`,
      [sync, dest],
    );
    return r?.run_id;
  }

  /** Records that a run's destination was planned inside the source warehouse (idempotent). */
  async recordWarehouseRun(w: WarehouseRun): Promise<void> {
    await this.driver.transaction(async (tx) => {
      await tx.exec(`DELETE FROM ebb_warehouse_runs WHERE run_id = $1 AND dest = $2`, [w.runId, w.dest]);
      await tx.exec(
        `INSERT INTO ebb_warehouse_runs (run_id, dest, sync, source, wh_schema, key_columns, rebuild, keep_removed)
         VALUES ($1, $2, $3, $4, $5, $6, ${w.rebuild ? 'true' : 'false'}, ${w.keepRemoved ? 'true' : 'false'})`,
        [w.runId, w.dest, w.sync, JSON.stringify(w.source), w.schema, JSON.stringify(w.keyColumns)],
      );
    });
  }

  /** How a run's destination was planned inside the warehouse; undefined for state-store runs. */
  async warehouseRun(runId: string, dest: string): Promise<WarehouseRun | undefined> {
    const [r] = await this.driver.query<{ sync: string; source: string; wh_schema: string; key_columns: string; rebuild: boolean; keep_removed: boolean }>(
      `SELECT sync, source, wh_schema, key_columns, rebuild, keep_removed FROM ebb_warehouse_runs WHERE run_id = $1 AND dest = $2`,
      [runId, dest],
    );
    if (!r) return undefined;
    return { runId, dest, sync: r.sync, source: JSON.parse(r.source) as WarehouseRun['source'], schema: r.wh_schema, keyColumns: JSON.parse(r.key_columns) as string[], rebuild: Boolean(r.rebuild), keepRemoved: Boolean(r.keep_removed) };
  }

  /**
   * The warehouse refs of a committed run's changes the destination did not take (rejected,
   * retryable, or in a chunk never acknowledged), a page at a time in ref order; and how many
   * such changes have no ref (removes found by the state store during a rebuild).
   */
  async uncommittedRefs(runId: string, dest: string, afterRef: number, limit: number): Promise<number[]> {
    const rows = await this.driver.query<{ ref: number }>(
      `SELECT c.ref FROM ebb_changes c
       LEFT JOIN ebb_chunk_acks a ON a.run_id = c.run_id AND a.dest = c.dest AND a.chunk = c.chunk
       LEFT JOIN ebb_row_outcomes o ON o.run_id = c.run_id AND o.dest = c.dest AND o.seq = c.seq
       WHERE c.run_id = $1 AND c.dest = $2 AND (a.chunk IS NULL OR o.seq IS NOT NULL) AND c.ref > ${Math.trunc(afterRef)}
       ORDER BY c.ref LIMIT ${Math.trunc(limit)}`,
      [runId, dest],
    );
    return rows.map((r) => num(r.ref));
  }

  /** Uncommitted changes of a run that carry no warehouse ref. */
  async uncommittedWithoutRef(runId: string, dest: string): Promise<number> {
    const [r] = await this.driver.query(
      `SELECT count(*) AS n FROM ebb_changes c
       LEFT JOIN ebb_chunk_acks a ON a.run_id = c.run_id AND a.dest = c.dest AND a.chunk = c.chunk
       LEFT JOIN ebb_row_outcomes o ON o.run_id = c.run_id AND o.dest = c.dest AND o.seq = c.seq
       WHERE c.run_id = $1 AND c.dest = $2 AND (a.chunk IS NULL OR o.seq IS NOT NULL) AND c.ref IS NULL`,
      [runId, dest],
    );
    return num(r.n);
  }

  /** The committed watermark of each destination of a sync. */
  async watermarks(sync: string): Promise<Map<string, number>> {
    const rows = await this.driver.query<{ dest: string; value: number }>(`SELECT dest, value FROM ebb_watermarks WHERE sync = $1`, [sync]);
    return new Map(rows.map((r) => [r.dest, Number(r.value)]));
  }

  /** Chunks of `[from, to)` the destination already acknowledged in this run. */
  async ackedChunks(runId: string, dest: string, from: number, to: number): Promise<Set<number>> {
    const rows = await this.driver.query<{ chunk: number }>(
      `SELECT chunk FROM ebb_chunk_acks WHERE run_id = $1 AND dest = $2 AND chunk >= ${Math.trunc(from)} AND chunk < ${Math.trunc(to)}`,
      [runId, dest],
    );
    return new Set(rows.map((r) => num(r.chunk)));
  }

  /**
   * Reads the staged changes of chunks `[from, to)` with one query (one scan, where a query per
   * chunk would rescan the same row groups), grouped by chunk. Memory is bounded by the slice.
   */
  async readChunks(runId: string, dest: string, from: number, to: number): Promise<Map<number, StagedChunk>> {
    // One row per chunk, its columns packed as JSON arrays by the engine: parsing a few big
    // JSON strings is far cheaper than converting thousands of values one by one.
    const agg = (expr: string) =>
      this.driver.dialect === 'duckdb' ? `to_json(list(${expr} ORDER BY seq))::VARCHAR` : `json_agg(${expr} ORDER BY seq)::text`;
    const rows = await this.driver.query<{ chunk: number; seqs: string; keys: string; ops: string; ids: string; payloads: string }>(
      `SELECT chunk, ${agg('seq')} AS seqs, ${agg('key')} AS keys, ${agg('op')} AS ops, ${agg('dest_id')} AS ids,
              '[' || string_agg(coalesce(payload, 'null'), ',' ORDER BY seq) || ']' AS payloads
       FROM ebb_changes WHERE run_id = $1 AND dest = $2 AND chunk >= ${Math.trunc(from)} AND chunk < ${Math.trunc(to)}
       GROUP BY chunk`,
      [runId, dest],
    );
    const chunks = new Map<number, StagedChunk>();
    for (const r of rows) {
      const seqs = JSON.parse(r.seqs) as number[];
      const keys = JSON.parse(r.keys) as string[];
      const ops = JSON.parse(r.ops) as WriteOp[];
      const ids = JSON.parse(r.ids) as (string | null)[];
      const payloads = JSON.parse(r.payloads) as (Record<string, unknown> | null)[];
      chunks.set(num(r.chunk), {
        changes: seqs.map((seq, i) => ({ seq: num(seq), key: keys[i], op: ops[i], destId: ids[i], payload: null, fields: payloads[i] })),
        bytes: r.payloads.length,
      });
    }
    return chunks;
  }

  /** Reads one chunk of staged changes, in seq order. */
  async readChunk(runId: string, dest: string, chunk: number): Promise<StagedChange[]> {
    const rows = await this.driver.query<{ seq: number; key: string; op: WriteOp; dest_id: string | null; payload: string | null }>(
      `SELECT seq, key, op, dest_id, payload FROM ebb_changes WHERE run_id = $1 AND dest = $2 AND chunk = ${Math.trunc(chunk)} ORDER BY seq`,
      [runId, dest],
    );
    return rows.map((r) => ({ seq: num(r.seq), key: r.key, op: r.op, destId: r.dest_id, payload: r.payload }));
  }

  /**
   * Records the destination's answer for a chunk in one transaction: its non-ok rows with
   * their reasons, and the ack. Called only after the destination answered, so an ack always
   * means "the destination has these rows" for every row not listed as rejected or retryable.
   */
  async recordChunk(runId: string, dest: string, chunk: number, results: readonly (RowResult & { key: string })[]): Promise<void> {
    const ack = `INSERT INTO ebb_chunk_acks (run_id, dest, chunk, acked_at) VALUES ($1, $2, ${Math.trunc(chunk)}, now()) ON CONFLICT (run_id, dest, chunk) DO NOTHING`;
    // The common case, every row ok, is one statement: its own transaction.
    if (results.every((r) => r.status === 'ok')) {
      await this.driver.exec(ack, [runId, dest]);
      return;
    }
    await this.driver.transaction(async (tx) => {
      for (const r of results) {
        if (r.status === 'ok') continue;
        await tx.exec(
          `INSERT INTO ebb_row_outcomes (run_id, dest, seq, key, status, reason, recorded_at) VALUES ($1, $2, ${Math.trunc(r.seq)}, $3, $4, $5, now())
           ON CONFLICT (run_id, dest, seq) DO UPDATE SET status = excluded.status, reason = excluded.reason, recorded_at = excluded.recorded_at`,
          [runId, dest, r.key, r.status, r.reason],
        );
      }
      await tx.exec(ack, [runId, dest]);
    });
  }

  /**
   * Commits a destination's run in one transaction: acknowledged rows move the snapshot (or
   * leave it, for deletes), the watermark advances to the run's high mark but never past an
   * unacknowledged row, and the staged changes are dropped. Idempotent: a second call is a no-op.
   */
  async commitDestination(c: { runId: string; sync: string; dest: string; watermarkHigh?: number }): Promise<CommitResult> {
    return this.driver.transaction(async (tx) => {
      const [state] = await tx.query(
        `SELECT status, committed_rows, pending_rows, watermark, committed_hash_total, pending_hash_total FROM ebb_run_destinations WHERE run_id = $1 AND dest = $2`,
        [c.runId, c.dest],
      );
      if (!state) throw new Error(`run ${c.runId} has no plan for destination ${c.dest}`);
      if (state.status === 'committed') {
        return {
          committed: num(state.committed_rows),
          pending: num(state.pending_rows),
          watermark: state.watermark == null ? undefined : Number(state.watermark),
          ...(state.committed_hash_total ? { hashTotal: String(state.committed_hash_total), pendingHashTotal: String(state.pending_hash_total) } : {}),
        };
      }
      const acked = `SELECT c.key, c.op, c.row_hash, c.dest_id FROM ebb_changes c
        JOIN ebb_chunk_acks a ON a.run_id = c.run_id AND a.dest = c.dest AND a.chunk = c.chunk
        LEFT JOIN ebb_row_outcomes o ON o.run_id = c.run_id AND o.dest = c.dest AND o.seq = c.seq
        WHERE c.run_id = $1 AND c.dest = $2 AND o.seq IS NULL`;
      await tx.exec(`DELETE FROM ebb_snapshots WHERE sync = $3 AND dest = $2 AND key IN (SELECT key FROM (${acked}) k)`, [c.runId, c.dest, c.sync]);
      await tx.exec(
        `INSERT INTO ebb_snapshots (sync, dest, key, row_hash, dest_id, committed_run)
         SELECT $3, $2, key, row_hash, dest_id, $1 FROM (${acked}) k WHERE op <> 'delete'`,
        [c.runId, c.dest, c.sync],
      );
      const [unacked] = await tx.query(
        `SELECT count(*) AS n, min(c.cursor) AS low FROM ebb_changes c
         LEFT JOIN ebb_chunk_acks a ON a.run_id = c.run_id AND a.dest = c.dest AND a.chunk = c.chunk
         LEFT JOIN ebb_row_outcomes o ON o.run_id = c.run_id AND o.dest = c.dest AND o.seq = c.seq
         WHERE c.run_id = $1 AND c.dest = $2 AND (a.chunk IS NULL OR o.seq IS NOT NULL)`,
        [c.runId, c.dest],
      );
      const sum = hashPrefixSum(this.driver.dialect, 'row_hash');
      // "After": what the snapshot now holds from this run, plus the deletes it acknowledged.
      const [held] = await tx.query(`SELECT count(*) AS n, ${sum} AS s FROM ebb_snapshots WHERE sync = $3 AND dest = $2 AND committed_run = $1`, [c.runId, c.dest, c.sync]);
      const [deleted] = await tx.query(`SELECT count(*) AS n, ${sum} AS s FROM (${acked}) k WHERE op = 'delete'`, [c.runId, c.dest]);
      const [left] = await tx.query(
        `SELECT count(*) AS n, ${hashPrefixSum(this.driver.dialect, 'c.row_hash')} AS s FROM ebb_changes c
         LEFT JOIN ebb_chunk_acks a ON a.run_id = c.run_id AND a.dest = c.dest AND a.chunk = c.chunk
         LEFT JOIN ebb_row_outcomes o ON o.run_id = c.run_id AND o.dest = c.dest AND o.seq = c.seq
         WHERE c.run_id = $1 AND c.dest = $2 AND (a.chunk IS NULL OR o.seq IS NOT NULL)`,
        [c.runId, c.dest],
      );
      const hashTotal = formatHashTotal(num(held.n) + num(deleted.n), BigInt(String(held.s ?? 0)) + BigInt(String(deleted.s ?? 0)));
      const pendingHashTotal = formatHashTotal(left.n, left.s);
      const pending = num(unacked.n);
      const low = unacked.low == null ? undefined : Number(unacked.low);
      const watermark = c.watermarkHigh === undefined ? undefined : low === undefined ? c.watermarkHigh : Math.min(c.watermarkHigh, low);
      if (watermark !== undefined) {
        await tx.exec(
          `INSERT INTO ebb_watermarks (sync, dest, value, committed_run) VALUES ($1, $2, $3, $4)
           ON CONFLICT (sync, dest) DO UPDATE SET value = excluded.value, committed_run = excluded.committed_run`,
          [c.sync, c.dest, watermark, c.runId],
        );
      }
      const [total] = await tx.query(`SELECT count(*) AS n FROM ebb_changes WHERE run_id = $1 AND dest = $2`, [c.runId, c.dest]);
      const committedRows = num(total.n) - pending;
      // The payloads (row data) go; which key was sent with which outcome stays, for audit
      // and for rollback, until the run ages out of the last RETAINED_RUNS of this destination.
      await tx.exec(`UPDATE ebb_changes SET payload = NULL WHERE run_id = $1 AND dest = $2`, [c.runId, c.dest]);
      await tx.exec(
        `UPDATE ebb_run_destinations SET status = 'committed', committed_rows = ${committedRows}, pending_rows = ${pending},
           watermark = $3, committed_at = now(), committed_hash_total = $4, pending_hash_total = $5 WHERE run_id = $1 AND dest = $2`,
        [c.runId, c.dest, watermark ?? null, hashTotal, pendingHashTotal],
      );
      await this.pruneRuns(tx, c.sync, c.dest);
      return { committed: committedRows, pending, watermark, hashTotal, pendingHashTotal };
    });
  }

  /** Drops the per-row records of committed runs older than the last {@link RETAINED_RUNS}. */
  private async pruneRuns(tx: SqlDriver, sync: string, dest: string): Promise<void> {
    const old = `SELECT rd.run_id FROM ebb_run_destinations rd JOIN ebb_runs r ON r.run_id = rd.run_id
      WHERE r.sync = $1 AND rd.dest = $2 AND rd.status = 'committed' ORDER BY rd.committed_at DESC, rd.run_id DESC OFFSET ${RETAINED_RUNS}`;
    for (const t of ['ebb_changes', 'ebb_chunk_acks', 'ebb_row_outcomes', 'ebb_warehouse_runs', 'ebb_before_images']) {
      await tx.exec(`DELETE FROM ${t} WHERE dest = $2 AND run_id IN (SELECT run_id FROM (${old}) o)`, [sync, dest]);
    }
  }

  /**
   * Every row a run sent to a destination, with its outcome: `ok` (its chunk was acknowledged
   * and it was not rejected), `rejected` or `retryable` (with the destination's reason), or
   * `unsent` (its chunk was never acknowledged). Kept for the last {@link RETAINED_RUNS} runs.
   */
  async rowResults(runId: string, dest: string, options: { status?: string; limit?: number } = {}): Promise<RowOutcome[]> {
    const rows = await this.driver.query<{ seq: number; key: string; op: string; status: string; reason: string | null }>(
      `SELECT seq, key, op, status, reason FROM (
         SELECT c.seq, c.key, c.op, coalesce(o.status, CASE WHEN a.chunk IS NULL THEN 'unsent' ELSE 'ok' END) AS status, o.reason
         FROM ebb_changes c
         LEFT JOIN ebb_chunk_acks a ON a.run_id = c.run_id AND a.dest = c.dest AND a.chunk = c.chunk
         LEFT JOIN ebb_row_outcomes o ON o.run_id = c.run_id AND o.dest = c.dest AND o.seq = c.seq
         WHERE c.run_id = $1 AND c.dest = $2) r
       ${options.status ? 'WHERE status = $3' : ''} ORDER BY seq LIMIT ${Math.trunc(options.limit ?? 1000)}`,
      options.status ? [runId, dest, options.status] : [runId, dest],
    );
    return rows.map((r) => ({ seq: num(r.seq), key: r.key, op: r.op, status: r.status, reason: r.reason }));
  }

  /** Rows rejected or left retryable by a run, with their reasons. */
  async pendingRows(runId: string, dest: string, limit = 1000): Promise<PendingRow[]> {
    const rows = await this.driver.query<{ run_id: string; seq: number; key: string; status: string; reason: string | null }>(
      `SELECT run_id, seq, key, status, reason FROM ebb_row_outcomes WHERE run_id = $1 AND dest = $2 ORDER BY seq LIMIT ${Math.trunc(limit)}`,
      [runId, dest],
    );
    return rows.map((r) => ({ runId: r.run_id, seq: num(r.seq), key: r.key, status: r.status, reason: r.reason }));
  }

  /** A destination's committed snapshot size. */
  async snapshotSize(sync: string, dest: string): Promise<number> {
    const [r] = await this.driver.query(`SELECT count(*) AS n FROM ebb_snapshots WHERE sync = $1 AND dest = $2`, [sync, dest]);
    return num(r.n);
  }

  /** The committed watermark of one destination, if any. */
  async watermark(sync: string, dest: string): Promise<number | undefined> {
    return (await this.watermarks(sync)).get(dest);
  }

  /**
   * The source time a run's reads are pinned to: the one an earlier attempt of the run's plan
   * recorded, else `at` (recorded now). The run must have been started ({@link startRun}).
   * `basis` fingerprints how the run maps what it reads (see {@link cdcPoints}). Undefined when
   * the run has no record (a plan driven without {@link startRun}).
   */
  async pinRun(runId: string, at: number, basis?: string): Promise<number | undefined> {
    await this.driver.exec(`UPDATE ebb_runs SET source_pin = coalesce(source_pin, ${Math.trunc(at)}), cdc_basis = $2 WHERE run_id = $1`, [runId, basis ?? null]);
    const [r] = await this.driver.query<{ source_pin: number | null }>(`SELECT source_pin FROM ebb_runs WHERE run_id = $1`, [runId]);
    return r?.source_pin == null ? undefined : num(r.source_pin);
  }

  /**
   * Per destination of a sync, its committed cdc point: the watermark, the basis of the run that
   * committed it, and whether a rollback of any of the sync's runs finished since (a rollback
   * makes the snapshot forget keys, which only a full read sends again).
   */
  async cdcPoints(sync: string): Promise<Map<string, { value: number; basis?: string; rolledBack: boolean }>> {
    const rows = await this.driver.query<{ dest: string; value: number; cdc_basis: string | null; rolled_back: boolean }>(
      `SELECT w.dest, w.value, r.cdc_basis,
              EXISTS (SELECT 1 FROM ebb_rollbacks rb JOIN ebb_runs rr ON rr.run_id = rb.run_id
                      WHERE rr.sync = w.sync AND rb.dest = w.dest AND (rd.committed_at IS NULL OR rb.finished_at >= rd.committed_at)) AS rolled_back
       FROM ebb_watermarks w
       LEFT JOIN ebb_runs r ON r.run_id = w.committed_run
       LEFT JOIN ebb_run_destinations rd ON rd.run_id = w.committed_run AND rd.dest = w.dest
       WHERE w.sync = $1`,
      [sync],
    );
    return new Map(rows.map((r) => [r.dest, { value: Number(r.value), basis: r.cdc_basis ?? undefined, rolledBack: Boolean(r.rolled_back) }]));
  }

  /** The source time a run's reads are pinned to, if one was recorded. */
  async runPin(runId: string): Promise<number | undefined> {
    const [r] = await this.driver.query<{ source_pin: number | null }>(`SELECT source_pin FROM ebb_runs WHERE run_id = $1`, [runId]);
    return r?.source_pin == null ? undefined : num(r.source_pin);
  }

  /** Records what a run's plan saw of the model: its size and its columns (name → type). */
  async setRunModel(runId: string, rowsRead: number, columns: Record<string, string>): Promise<void> {
    await this.driver.exec(`UPDATE ebb_runs SET rows_read = ${Math.trunc(rowsRead)}, model_columns = $2 WHERE run_id = $1`, [runId, JSON.stringify(columns)]);
  }

  /** The model as the sync's last committed run saw it (other than `exceptRunId`). */
  async lastCommittedModel(sync: string, exceptRunId: string): Promise<{ rowsRead?: number; columns?: Record<string, string> } | undefined> {
    const [r] = await this.driver.query<{ rows_read: number | null; model_columns: string | null }>(
      `SELECT rows_read, model_columns FROM ebb_runs WHERE sync = $1 AND status = 'committed' AND run_id <> $2 ORDER BY finished_at DESC LIMIT 1`,
      [sync, exceptRunId],
    );
    if (!r) return undefined;
    return { rowsRead: r.rows_read == null ? undefined : num(r.rows_read), columns: r.model_columns ? (JSON.parse(r.model_columns) as Record<string, string>) : undefined };
  }

  /** Every sync with recorded runs. */
  async syncNames(): Promise<string[]> {
    const rows = await this.driver.query<{ sync: string }>(`SELECT DISTINCT sync FROM ebb_runs ORDER BY sync`);
    return rows.map((r) => r.sync);
  }

  /** Recent runs, newest first. */
  async recentRuns(sync: string | undefined, limit = 20): Promise<Record<string, unknown>[]> {
    return this.driver.query(
      `SELECT run_id, sync, status, started_at, finished_at, summary, error FROM ebb_runs ${sync ? 'WHERE sync = $1' : ''} ORDER BY started_at DESC LIMIT ${Math.trunc(limit)}`,
      sync ? [sync] : [],
    );
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}

/** Counts come back as bigint from DuckDB and as strings from pg's int8. */
function num(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}
