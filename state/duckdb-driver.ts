import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { textBulkLoader } from './duckdb-bulk';
import type { BulkColumn, BulkLoader, SqlDriver } from './sql-driver';

/** The embedded state store's DuckDB `memory_limit` unless `EBB_STATE_MEMORY_LIMIT` says otherwise. */
export const DEFAULT_STATE_MEMORY_LIMIT = '96MB';

/**
 * The embedded state store engine. One DuckDB file per worker; diffs are joins inside DuckDB,
 * so memory stays bounded by DuckDB's `memory_limit` (it spills to disk past that).
 */
export async function openDuckdbDriver(file: string, options: { memoryLimit?: string } = {}): Promise<SqlDriver> {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  // Insertion order is kept (DuckDB's default): changes are written in seq order, so the zone
  // maps of a chunk's row group let each chunk read skip the rest of the table.
  // 96MB: the stage of a large model spills to DuckDB's temp files past it. A 10M-row model's
  // first plan and its rerun run in it (since change sets are no longer sorted by key), their
  // diffs spilling more than at 128MB (first plan 101 s instead of 82 s); 96MB keeps a 1M-row
  // sync's worker under 512 MB, where 128MB crossed it in four runs of six.
  const memoryLimit = options.memoryLimit ?? process.env.EBB_STATE_MEMORY_LIMIT ?? DEFAULT_STATE_MEMORY_LIMIT;
  const instance = await DuckDBInstance.create(file, { memory_limit: memoryLimit });
  return new DuckdbDriver(instance, undefined, new ConnectionPool(instance, new CacheTrim(instance, memoryLimit)));
}

/** Cached table blocks worth dropping when the store goes idle. */
const TRIM_ABOVE_BYTES = 32 * 2 ** 20;
/** Above this much other data (a large stage in memory), no trim: it could push that data to temp files. */
const TRIM_UNLESS_OTHER_BYTES = 64 * 2 ** 20;
/** Room left above the memory in use when trimming, so the limit never sits below it. */
const TRIM_HEADROOM_BYTES = 16 * 2 ** 20;
/**
 * How long the store must stay idle first: statements that follow each other never pay a trim.
 * A second, not less: the apply step reads chunks with pauses between them, and a trim in such
 * a pause evicted the change set's blocks the next read needed (the 1M-row sync ran ~10% slower).
 */
const TRIM_AFTER_IDLE_MS = 1_000;
/**
 * Statements (or transactions) at least this long are followed by {@link CacheTrim.returnFreed}:
 * diffs and commits, not the chunk reads and stage inserts of a run (a purge after each of those
 * made the allocator fault its pages in again).
 */
const RETURN_FREED_AFTER_MS = 500;

/**
 * Drops DuckDB's cache of table blocks once the store has been idle for a moment (no statement,
 * transaction or bulk load running). DuckDB keeps every block a query read, up to
 * `memory_limit`, for as long as the database is open: after a diff or a commit against a
 * 10M-row snapshot table that is the whole limit, held while the worker does something else
 * (the warehouse's diff or commit, the destination writes). Lowering the limit to what is in use
 * besides that cache, then raising it back, makes DuckDB evict those blocks (dropping them costs
 * no write); the next statement reads what it needs from the file again. Skipped while much
 * other data is held (a large stage in the in-memory scratch database), which a lowered limit
 * could push to temp files. Statements wait for a trim in progress (about 10 ms), so none runs
 * under the lowered limit.
 */
class CacheTrim {
  private active = 0;
  private timer?: NodeJS.Timeout;
  private trimming?: Promise<void>;
  private control?: DuckDBConnection;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly memoryLimit: string,
  ) {}

  /** Marks work as started; waits for a trim in progress. */
  async enter(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.trimming) await this.trimming;
    this.active++;
  }

  /** Marks work as done; once the store stays idle, trims. */
  leave(): void {
    if (--this.active > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.active > 0 || this.trimming) return;
      this.trimming = this.trim()
        .catch(() => undefined) // a trim that fails leaves the cache as DuckDB kept it
        .finally(() => (this.trimming = undefined));
    }, TRIM_AFTER_IDLE_MS);
    this.timer.unref();
  }

  private async trim(): Promise<void> {
    this.control ??= await this.instance.connect();
    const c = this.control;
    const [m] = (await c.runAndReadAll(
      `SELECT coalesce(sum(memory_usage_bytes) FILTER (WHERE tag = 'BASE_TABLE'), 0) AS cached, coalesce(sum(memory_usage_bytes) FILTER (WHERE tag <> 'BASE_TABLE'), 0) AS other FROM duckdb_memory()`,
    )).getRowObjectsJS() as { cached: bigint; other: bigint }[];
    if (Number(m.cached) < TRIM_ABOVE_BYTES || Number(m.other) > TRIM_UNLESS_OTHER_BYTES) return;
    try {
      await c.run(`SET memory_limit = '${Math.ceil((Number(m.other) + TRIM_HEADROOM_BYTES) / 2 ** 20)}MB'`);
    } finally {
      await c.run(`SET memory_limit = '${this.memoryLimit.replaceAll("'", '')}'`);
    }
  }

  /**
   * Re-applies the memory limit, unchanged: DuckDB then has its allocator (jemalloc, bundled
   * and shared by every DuckDB database in the process) hand the pages it holds freed back to
   * the OS at once. Otherwise they stay resident until a decay timer and later allocations
   * purge them: the hash tables of a large diff were still resident while the next phase ran,
   * and added up with it. A few milliseconds, paid after statements that ran long enough to
   * have freed that much.
   */
  async returnFreed(c: DuckDBConnection): Promise<void> {
    await c.run(`SET memory_limit = '${this.memoryLimit.replaceAll("'", '')}'`).catch(() => undefined);
  }

  /** Waits until no trim is pending or running, then closes the control connection. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.trimming) await this.trimming;
    this.control?.closeSync();
    this.control = undefined;
  }
}

/** Idle connections kept for reuse: opening one per statement costs more than the statement. */
class ConnectionPool {
  private readonly idle: DuckDBConnection[] = [];
  constructor(
    private readonly instance: DuckDBInstance,
    readonly trim: CacheTrim,
  ) {}

  async take(): Promise<DuckDBConnection> {
    await this.trim.enter();
    try {
      return this.idle.pop() ?? (await this.instance.connect());
    } catch (err) {
      this.trim.leave();
      throw err;
    }
  }

  give(c: DuckDBConnection): void {
    if (this.idle.length < 8) this.idle.push(c);
    else c.closeSync();
    this.trim.leave();
  }

  async closeAll(): Promise<void> {
    await this.trim.close();
    for (const c of this.idle.splice(0)) c.closeSync();
  }
}

class DuckdbDriver implements SqlDriver {
  readonly dialect = 'duckdb' as const;
  constructor(
    private readonly instance: DuckDBInstance,
    /** Set inside a transaction: every statement runs on that one connection. */
    private readonly pinned: DuckDBConnection | undefined,
    private readonly pool: ConnectionPool,
  ) {}

  private async withConnection<T>(fn: (c: DuckDBConnection) => Promise<T>, sql?: string): Promise<T> {
    // EBB_SQL_TIMING (profiling): statements over 20 ms go to stderr with their time; the SQL
    // text only, never its parameters (which may hold row data).
    if (process.env.EBB_SQL_TIMING && sql) {
      const t0 = performance.now();
      try {
        return await this.withConnection(fn);
      } finally {
        const ms = performance.now() - t0;
        if (ms > 20) console.error(`[sql ${Math.round(ms)} ms] ${sql.replace(/\s+/g, ' ').slice(0, 160)}`);
      }
    }
    if (this.pinned) return fn(this.pinned);
    const c = await this.pool.take();
    const t0 = performance.now();
    try {
      return await fn(c);
    } finally {
      if (performance.now() - t0 >= RETURN_FREED_AFTER_MS) await this.pool.trim.returnFreed(c);
      this.pool.give(c);
    }
  }

  async query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.withConnection(async (c) => {
      const reader = await c.runAndReadAll(sql, params as DuckDBValue[]);
      return reader.getRowObjectsJS() as T[];
    }, sql);
  }

  async exec(sql: string, params: unknown[] = []): Promise<number> {
    return this.withConnection(async (c) => {
      const result = await c.run(sql, params as DuckDBValue[]);
      return Number(result.rowsChanged);
    }, sql);
  }

  async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    if (this.pinned) return fn(this);
    const c = await this.pool.take();
    const t0 = performance.now();
    try {
      await c.run('BEGIN TRANSACTION');
      try {
        const out = await fn(new DuckdbDriver(this.instance, c, this.pool));
        await c.run('COMMIT');
        return out;
      } catch (err) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      if (performance.now() - t0 >= RETURN_FREED_AFTER_MS) await this.pool.trim.returnFreed(c);
      this.pool.give(c);
    }
  }

  async bulkLoader(table: string, columns: readonly BulkColumn[]): Promise<BulkLoader> {
    // A load is work in progress from its first row to its close: no trim in between.
    await this.pool.trim.enter();
    let loader: BulkLoader;
    try {
      loader = await textBulkLoader(() => this.instance.connect(), table, columns);
    } catch (err) {
      this.pool.trim.leave();
      throw err;
    }
    let open = true;
    return {
      append: (row) => loader.append(row),
      close: async () => {
        try {
          await loader.close();
        } finally {
          if (open) this.pool.trim.leave();
          open = false;
        }
      },
    };
  }

  async close(): Promise<void> {
    await this.pool.closeAll();
    this.instance.closeSync();
  }
}
