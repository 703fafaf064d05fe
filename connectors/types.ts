/**
 * The connector contracts. A source streams rows; a destination writes batches and says,
 * row by row, what happened. Connectors know one vendor's API and nothing about runs,
 * snapshots or Temporal: those live in activities/ and state/.
 */
import type { z } from 'zod';
import type { Model, SyncMode } from '../domain/spec/schema';
import type { SyncLogRow } from '../domain/sync-log';

/** One row of a model, as the source returns it: column name to JS value. */
export type Row = Record<string, unknown>;

/** A model column and its type as the source reports it (engine-specific type name). */
export interface ColumnInfo {
  name: string;
  type: string;
}

/** Resolves secret references and gives connectors what they need from the runtime. */
export interface ConnectorContext {
  /** Reads a `{ env }` / `{ file }` secret reference. Throws a config error naming `path` when it cannot. */
  resolveSecret(ref: unknown, path: string): Promise<string>;
  /** Base directory for relative paths in connector config (the spec's directory, or cwd). */
  baseDir: string;
  /**
   * The request budget shared by every sync and worker writing to the same vendor account.
   * Destinations with a documented request rate call `take` before each API request.
   * Absent in unit tests that build a context by hand: then there is no budget to wait on.
   */
  budget?: RequestBudget;
}

/** A documented request rate: at most `requests` calls per `perMs` milliseconds. */
export interface RateLimit {
  requests: number;
  perMs: number;
}

/**
 * A request budget per vendor account (a HubSpot portal, a Salesforce org, a Google Ads
 * customer), shared across syncs and workers. Keys name the account, never a secret
 * (e.g. `hubspot:portal-123`, or a hash of the token).
 */
export interface RequestBudget {
  /** Waits until `cost` requests may be made against `account` under `limit`; resolves with the milliseconds waited. */
  take(account: string, limit: RateLimit, cost?: number): Promise<number>;
  /** The vendor answered 429: nobody calls `account` again for `retryAfterMs`, and the rate slows down until calls succeed. */
  penalize(account: string, retryAfterMs: number): Promise<void>;
}

/** What to read. Sources wrap the model and never change its meaning. */
export interface ReadRequest {
  model: Model;
  /**
   * Watermark mode: only rows whose `column` is `>=` the bound. `value` is a number for
   * numeric columns or an ISO-8601 string for timestamps.
   */
  since?: { column: string; value: number | string };
  /** Preferred rows per yielded batch (a hint). */
  batchSize?: number;
  /** Only these columns (what the mappings, key and cursor read); all columns when absent. */
  columns?: readonly string[];
}

/** A live source connection. */
export interface Source {
  /** Proves the connection works and the model can be read. Throws auth, config or transient errors. */
  check(model: Model): Promise<void>;
  /** The model's columns and types, without reading its rows. */
  columns(model: Model): Promise<ColumnInfo[]>;
  /**
   * Streams the model in batches from one consistent snapshot. Memory stays bounded by the
   * batch size whatever the model's size.
   */
  read(request: ReadRequest): AsyncIterable<Row[]>;
  /**
   * Optional: SQL inside the warehouse, for in-warehouse change detection
   * (`changeDetection.inWarehouse`). Sources that cannot write a schema of their own leave it out,
   * and the model is diffed in the state store instead.
   */
  warehouse?: WarehouseSql;
  /**
   * Optional: the warehouse's change tracking (`changeDetection.mode: cdc`), with reads pinned
   * to a point in time. Sources without it leave it out, and cdc specs are refused at plan.
   */
  changes?: ChangeTracking;
  /**
   * Optional: appends rows to the sync-log table in the warehouse (created if missing), so
   * KPIs land next to the models. Sources that cannot write leave this out, and specs asking
   * for a sync log with them are refused at validation.
   */
  appendSyncLog?(table: string, rows: readonly SyncLogRow[]): Promise<void>;
  /** Releases connections. Safe to call twice. */
  close(): Promise<void>;
}

/** What {@link ChangeTracking.readChanges} reads: the model's rows whose key changed in `(since, until]`. */
export interface ChangesRequest {
  /** A table (change tracking is a property of tables). */
  model: Model;
  /** The primary-key columns. */
  keyColumns: readonly string[];
  /** Exclusive start, epoch milliseconds on the warehouse's clock (a point a previous run pinned). */
  since: number;
  /** Inclusive end, epoch milliseconds: the point this run pinned. */
  until: number;
  columns?: readonly string[];
  batchSize?: number;
}

/** One changed key: its row as of `until`, or, when the key is gone at `until`, its key columns only. */
export interface ChangedRow {
  row: Row;
  removed: boolean;
}

/**
 * Change tracking in the warehouse (Snowflake's CHANGES clause), and reads pinned by time travel,
 * so every attempt of a run reads the same data. Points are epoch milliseconds on the
 * warehouse's clock, stored like numeric watermarks.
 */
export interface ChangeTracking {
  /** The warehouse's current time: the point a run pins. */
  now(): Promise<number>;
  /** Throws a config error naming the fix when the model's table has no change tracking at `at`. */
  checkTracking(model: Model, at: number): Promise<void>;
  /** True when the model's table can be read as of `at` (time travel is available there). */
  canReadAt(model: Model, at: number): Promise<boolean>;
  /** Streams the whole model as it was at `at` (`AT(TIMESTAMP => …)`). */
  readAt(request: ReadRequest & { at: number }): AsyncIterable<Row[]>;
  /**
   * Streams every key that changed in `(since, until]`, once, with its row at `until` or flagged
   * removed. Call {@link checkTracking} at `until` first: a failure here then means `since` is
   * older than the history the warehouse keeps (a config error: only a full resync recovers).
   */
  readChanges(request: ChangesRequest): AsyncIterable<ChangedRow[]>;
}

/**
 * The SQL dialect of a warehouse, as far as in-warehouse change detection needs one. Build one
 * with `warehouseDialect()` (`connectors/sources/warehouse-dialect.ts`), which fills in the
 * ANSI defaults (double-quoted identifiers, VARCHAR, BIGINT) that DuckDB and PostgreSQL use.
 */
export interface WarehouseDialect {
  readonly name: string;
  /**
   * A deterministic hash of `columns` (quoted expressions, NULL-aware and position-aware) and
   * of `salt` (a string literal). It is compared only with hashes the same warehouse computed,
   * so it may be engine-specific (DuckDB's 64-bit `hash()`, PostgreSQL's `md5`).
   */
  hash(columns: readonly string[], salt: string): string;
  /** Quotes one identifier, exactly as written (case kept). */
  quote(name: string): string;
  /** A string literal. */
  literal(value: string): string;
  /** The string type, for casts and columns (`VARCHAR`, `STRING`). */
  readonly stringType: string;
  /** The 64-bit integer type (`BIGINT`, `INT64`). */
  readonly integerType: string;
  /** `row_number()` over the given (qualified, quoted) keys; engines that allow it number in no order. */
  rowNumber(keys: readonly string[]): string;
  /** The model as a `SELECT`, its table name quoted in this dialect. */
  modelSql(model: Model): string;
  /** Lists the tables of `schema` whose names start with `prefix`, as rows with a `table_name`. */
  listTables(schema: string, prefix: string): string;
  /**
   * True where one {@link WarehouseSession} is one transaction over one snapshot, DDL included
   * (DuckDB, PostgreSQL, Redshift). False where statements commit on their own (Snowflake and
   * BigQuery commit DDL implicitly; Databricks has no multi-statement transactions): the run
   * snapshot then also copies the columns read out, so the rows sent are the rows hashed, and
   * every step is written to be repeated after a crash.
   */
  readonly transactional: boolean;
  /** `CREATE TABLE IF NOT EXISTS … AS SELECT` is valid (Redshift refuses it). */
  readonly createIfNotExistsAs: boolean;
  /** `DELETE FROM t AS alias` is valid and needed to correlate (Databricks), rather than naming the table. */
  readonly deleteAlias: boolean;
  /**
   * Optional: one comparable value for a key of several columns, for a `DELETE … WHERE key IN
   * (SELECT key …)` that is not correlated (BigQuery's JSON of a STRUCT). Set where a correlated
   * `DELETE … WHERE EXISTS` is not to be relied on.
   */
  keyTuple?(columns: readonly string[]): string;
}

/**
 * One transaction in the warehouse, on one connection, seeing one snapshot: the plan snapshots
 * the model and streams the changed rows in the same transaction, so the rows read out are
 * exactly the rows that were hashed.
 */
export interface WarehouseSession {
  /** Runs a statement (DDL or DML). */
  exec(sql: string): Promise<void>;
  /** Runs a small query (counts, metadata) and returns its rows. */
  query(sql: string): Promise<Row[]>;
  /** Streams a query's rows in batches, with values converted exactly as {@link Source.read} converts them. */
  stream(sql: string, batchSize?: number): AsyncIterable<Row[]>;
  /** Commits and releases the connection. */
  commit(): Promise<void>;
  /** Rolls back and releases the connection. Safe after commit (then a no-op). */
  rollback(): Promise<void>;
}

/** A source's in-warehouse SQL capability: a dialect and transactions over the model's database. */
export interface WarehouseSql {
  readonly dialect: WarehouseDialect;
  /**
   * Opens a read-write transaction. Throws a config error naming the field to change when the
   * source is read-only (e.g. a DuckDB source opened with `readOnly: true`).
   */
  begin(): Promise<WarehouseSession>;
  /**
   * Optional: creates the schema ebb owns if missing, where that is not a plain
   * `CREATE SCHEMA IF NOT EXISTS` (a BigQuery dataset is created through the API, in a location).
   */
  ensureSchema?(schema: string): Promise<void>;
}

/** A source connector's definition: `connectors/sources/<kind>/index.ts` exports one. */
export interface SourceConnector<C = unknown> {
  kind: string;
  /** Validates `source.connection`. Secret fields are `secretRefSchema`. */
  configSchema: z.ZodType<C>;
  /** True when its sources implement {@link Source.appendSyncLog}. */
  writesSyncLog?: boolean;
  create(config: C, ctx: ConnectorContext): Source;
}

/** The operation a destination is asked to perform on one record. */
export type WriteOp = 'upsert' | 'update' | 'insert' | 'delete';

/** One record to write. `fields` are the mapped destination fields (only the identity field for deletes). */
export interface RecordWrite {
  /** Dense sequence number of this change within its run and destination. */
  seq: number;
  /** The model's primary key, as a string (composite keys are JSON arrays). */
  key: string;
  op: WriteOp;
  fields: Record<string, unknown>;
}

/** A batch of writes. Every record in `records` has a distinct `key`. */
export interface WriteBatch {
  /** The destination object: table, endpoint path, audience. */
  object: string;
  /** The field that identifies a record in the destination. */
  idField: string;
  records: RecordWrite[];
  /** Stable across retries of the same chunk: `${runId}:${destination}:${firstSeq}`. */
  idempotencyKey: string;
}

/** What happened to one record. Row-level problems are returned, never thrown. */
export type RowResult =
  | { seq: number; status: 'ok' }
  | { seq: number; status: 'rejected'; reason: string }
  | { seq: number; status: 'retryable'; reason: string };

/** The outcome of one batch: a result for every record, plus a hint to slow down. */
export interface WriteResult {
  results: RowResult[];
  /** The destination asked us to wait this long before the next call. */
  retryAfterMs?: number;
}

/** What {@link Destination.readBack} reads: `fields` of the records whose `idField` is one of `ids`. */
export interface ReadBackRequest {
  object: string;
  idField: string;
  /** Identity values as strings; at most one batch's worth. */
  ids: string[];
  fields: string[];
}

/** A destination field as `describe()` reports it. */
export interface FieldInfo {
  name: string;
  type: string;
  /** Can identify a record (primary key, unique, external id). */
  identifier?: boolean;
  required?: boolean;
  /** False when the field cannot be set on create (e.g. Salesforce `createable: false`). Absent: it can. */
  createable?: boolean;
  /** False when the field cannot be changed on update. Absent: it can. */
  updateable?: boolean;
}

/** What the destination object looks like. */
export interface ObjectDescription {
  object: string;
  fields: FieldInfo[];
}

/** A live destination connection. */
export interface Destination {
  /** Proves the connection works and `object` exists and is writable. */
  check(object: string): Promise<void>;
  /** The object's fields and identifiers. */
  describe(object: string): Promise<ObjectDescription>;
  /**
   * Writes a batch. Returns one result per record. Throws only when the whole batch failed
   * (auth, config, rate limit, network), with an {@link EbbError} of the right kind.
   * Must be idempotent: the same batch written twice leaves the same state.
   */
  write(batch: WriteBatch): Promise<WriteResult>;
  /**
   * Optional: reads the current values of `fields` for these identities, straight from the
   * destination. Used for read-back verification (canary mapping accuracy) and for the
   * before-images a rollback restores. Identities the destination does not hold are absent
   * from the result (that is how a rollback knows a record was created by the run).
   */
  readBack?(request: ReadBackRequest): Promise<Map<string, Record<string, unknown>>>;
  /**
   * Optional: called once per run after every chunk was acknowledged and before commit
   * (e.g. the file export assembles its parts here). Must be idempotent.
   */
  finalize?(run: { runId: string; object: string }): Promise<void>;
  close(): Promise<void>;
}

/** A destination connector's definition: `connectors/destinations/<kind>/index.ts` exports one. */
export interface DestinationConnector<C = unknown> {
  kind: string;
  configSchema: z.ZodType<C>;
  /** Sync modes this destination supports. `mirror` needs `delete`. */
  modes: readonly SyncMode[];
  create(config: C, ctx: ConnectorContext): Destination;
}
