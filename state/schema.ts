/**
 * The state store's tables. Written in the SQL subset DuckDB and PostgreSQL share.
 *
 * - runs / run_destinations: one row per run and per (run, destination), with status and counts;
 *   a run's `source_pin` is the source time its reads are pinned to (cdc), kept across plan retries.
 * - stage: the model's rows of this run, mapped per destination (transient: dropped after plan).
 *   Row hashes are md5 of the canonical JSON payload, computed by the engine (same in both).
 * - changes: the staged change set; `seq` is dense per (run, destination), `chunk` = (seq-1) / chunk size.
 * - chunk_acks: chunks the destination answered, written in the same step as their non-ok outcomes.
 * - row_outcomes: rejected and retryable rows, with reasons (ok rows are implied by the chunk ack).
 * - snapshots: what each destination is known to hold (key, hash of mapped fields, its id value).
 * - watermarks: the committed cursor per (sync, destination).
 * - locks: which run of a sync holds it (one run at a time, even across workflow ids).
 * - warehouse_runs: runs planned inside the source warehouse (changeDetection.inWarehouse), and
 *   where their warehouse tables are, so the commit can move the warehouse's snapshot too.
 * - before_images / rollbacks: what each written record held before the run (row data, kept
 *   here and never in workflow history), and the rollbacks done (state/safety-store.ts).
 *
 * Large tables carry no index on DuckDB (its zone maps and hash joins do the work, and ART
 * indexes would cost memory per row); PostgreSQL gets the indexes its planner needs.
 */
export const STATE_SCHEMA_VERSION = 4;

/** Where the stage lives. */
export function stageTable(dialect: 'duckdb' | 'postgres'): string {
  return dialect === 'duckdb' ? 'ebb_scratch.ebb_stage' : 'ebb_stage';
}

export function stateDdl(dialect: 'duckdb' | 'postgres'): string[] {
  const pg = dialect === 'postgres';
  const ddl = [
    `CREATE TABLE IF NOT EXISTS ebb_meta (name VARCHAR PRIMARY KEY, value VARCHAR)`,
    `CREATE TABLE IF NOT EXISTS ebb_runs (
      run_id VARCHAR PRIMARY KEY, sync VARCHAR NOT NULL, status VARCHAR NOT NULL,
      started_at TIMESTAMPTZ NOT NULL, finished_at TIMESTAMPTZ, spec_hash VARCHAR, workflow_id VARCHAR,
      summary VARCHAR, error VARCHAR)`,
    `CREATE TABLE IF NOT EXISTS ebb_run_destinations (
      run_id VARCHAR NOT NULL, dest VARCHAR NOT NULL, status VARCHAR NOT NULL, chunk_size BIGINT NOT NULL,
      total BIGINT NOT NULL, committed_rows BIGINT, pending_rows BIGINT, watermark DOUBLE PRECISION,
      committed_at TIMESTAMPTZ, PRIMARY KEY (run_id, dest))`,
    // The stage is scratch space (a crashed plan starts over): DuckDB keeps it in an attached
    // in-memory database (no WAL, no compression on write); PostgreSQL in an UNLOGGED table.
    ...(pg ? [] : [`ATTACH IF NOT EXISTS ':memory:' AS ebb_scratch`]),
    `CREATE ${pg ? 'UNLOGGED ' : ''}TABLE IF NOT EXISTS ${stageTable(dialect)} (
      run_id VARCHAR NOT NULL, dest VARCHAR NOT NULL, key VARCHAR NOT NULL,
      cursor DOUBLE PRECISION, dest_id VARCHAR, payload VARCHAR NOT NULL, ref BIGINT, wh_kind VARCHAR)`,
    `CREATE TABLE IF NOT EXISTS ebb_changes (
      run_id VARCHAR NOT NULL, dest VARCHAR NOT NULL, seq BIGINT NOT NULL, chunk BIGINT NOT NULL,
      key VARCHAR NOT NULL, kind VARCHAR NOT NULL, op VARCHAR NOT NULL, row_hash VARCHAR,
      cursor DOUBLE PRECISION, dest_id VARCHAR, payload VARCHAR)`,
    `CREATE TABLE IF NOT EXISTS ebb_chunk_acks (
      run_id VARCHAR NOT NULL, dest VARCHAR NOT NULL, chunk BIGINT NOT NULL, acked_at TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (run_id, dest, chunk))`,
    `CREATE TABLE IF NOT EXISTS ebb_row_outcomes (
      run_id VARCHAR NOT NULL, dest VARCHAR NOT NULL, seq BIGINT NOT NULL, key VARCHAR NOT NULL,
      status VARCHAR NOT NULL, reason VARCHAR, recorded_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (run_id, dest, seq))`,
    `CREATE TABLE IF NOT EXISTS ebb_snapshots (
      sync VARCHAR NOT NULL, dest VARCHAR NOT NULL, key VARCHAR NOT NULL, row_hash VARCHAR NOT NULL,
      dest_id VARCHAR, committed_run VARCHAR NOT NULL${pg ? ', PRIMARY KEY (sync, dest, key)' : ''})`,
    `CREATE TABLE IF NOT EXISTS ebb_locks (
      sync VARCHAR PRIMARY KEY, run_id VARCHAR NOT NULL, workflow_id VARCHAR NOT NULL, acquired_at TIMESTAMPTZ NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ebb_watermarks (
      sync VARCHAR NOT NULL, dest VARCHAR NOT NULL, value DOUBLE PRECISION NOT NULL, committed_run VARCHAR NOT NULL,
      PRIMARY KEY (sync, dest))`,
  ];
  // Columns added after the first release of the table, for stores created before them.
  ddl.push(`ALTER TABLE ebb_runs ADD COLUMN IF NOT EXISTS rows_read BIGINT`, `ALTER TABLE ebb_runs ADD COLUMN IF NOT EXISTS model_columns VARCHAR`);
  // Change tracking (changeDetection.mode cdc): the source time every read of the run is pinned
  // to (epoch ms), set by the first plan attempt so a retried plan reads the same data.
  // Its `cdc_basis` says what the read was mapped by (mappings, policy, key, column types): a
  // committed point is only followed by a change-set read while the basis stays the same.
  ddl.push(`ALTER TABLE ebb_runs ADD COLUMN IF NOT EXISTS source_pin BIGINT`, `ALTER TABLE ebb_runs ADD COLUMN IF NOT EXISTS cdc_basis VARCHAR`);
  // In-warehouse change detection: each staged row and change carries its candidate number in
  // the warehouse (`ref`), so the commit can tell the warehouse which rows were not taken, and
  // removed keys are staged as markers (`wh_kind = 'remove'`). Always the last columns, in this
  // order, so the DuckDB appender's positional rows fit old and new tables alike.
  ddl.push(
    `ALTER TABLE ${stageTable(dialect)} ADD COLUMN IF NOT EXISTS ref BIGINT`,
    `ALTER TABLE ${stageTable(dialect)} ADD COLUMN IF NOT EXISTS wh_kind VARCHAR`,
    `ALTER TABLE ebb_changes ADD COLUMN IF NOT EXISTS ref BIGINT`,
    // Per run and destination planned in the warehouse: where its tables are, for the commit.
    `CREATE TABLE IF NOT EXISTS ebb_warehouse_runs (
      run_id VARCHAR NOT NULL, dest VARCHAR NOT NULL, sync VARCHAR NOT NULL, source VARCHAR NOT NULL, wh_schema VARCHAR NOT NULL,
      key_columns VARCHAR NOT NULL, rebuild BOOLEAN NOT NULL, keep_removed BOOLEAN NOT NULL, PRIMARY KEY (run_id, dest))`,
  );
  // Hash totals "after" of a committed destination (state/hash-total.ts).
  ddl.push(
    `ALTER TABLE ebb_run_destinations ADD COLUMN IF NOT EXISTS committed_hash_total VARCHAR`,
    `ALTER TABLE ebb_run_destinations ADD COLUMN IF NOT EXISTS pending_hash_total VARCHAR`,
  );
  // Rollback: per written change, what the destination held before (fields the run changed,
  // or that the record did not exist), and per (run, destination) the rollbacks done.
  ddl.push(
    `CREATE TABLE IF NOT EXISTS ebb_before_images (
      run_id VARCHAR NOT NULL, dest VARCHAR NOT NULL, seq BIGINT NOT NULL, key VARCHAR NOT NULL, op VARCHAR NOT NULL,
      id_value VARCHAR NOT NULL, existed BOOLEAN NOT NULL, image VARCHAR, captured_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (run_id, dest, seq))`,
    `CREATE TABLE IF NOT EXISTS ebb_rollbacks (
      run_id VARCHAR NOT NULL, dest VARCHAR NOT NULL, reason VARCHAR, restored BIGINT NOT NULL, deleted BIGINT NOT NULL,
      failed BIGINT NOT NULL, finished_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (run_id, dest))`,
  );
  if (pg) {
    ddl.push(
      `CREATE INDEX IF NOT EXISTS ebb_stage_run ON ebb_stage (run_id, dest, key)`,
      `CREATE INDEX IF NOT EXISTS ebb_changes_chunk ON ebb_changes (run_id, dest, chunk, seq)`,
      `CREATE INDEX IF NOT EXISTS ebb_runs_sync ON ebb_runs (sync, started_at)`,
    );
  }
  return ddl;
}
