/**
 * DuckDB I/O: opening the database file and running statements. No ebb logic here.
 */
import { stat } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBDataChunk, DuckDBValue } from '@duckdb/node-api';
import { configError } from '../../../domain/errors';
import type { DuckdbSourceConfig } from './config';

/** The in-memory database path. */
export const MEMORY_PATH = ':memory:';

/** DuckDB instance options for a config. Exported so tests can share the same instance. */
export function duckdbInstanceOptions(config: DuckdbSourceConfig, file: string): Record<string, string> {
  const options: Record<string, string> = { memory_limit: config.memoryLimit.trim() };
  // DuckDB refuses an in-memory database in read-only mode; it is private anyway.
  if (file !== MEMORY_PATH) options.access_mode = config.readOnly ? 'READ_ONLY' : 'READ_WRITE';
  if (config.threads !== undefined) options.threads = String(config.threads);
  return options;
}

/**
 * Opens the database. A file must already exist: a source never creates an empty database
 * (DuckDB would, in read-write mode, and a typo would then read as an empty model).
 *
 * Files come from DuckDB's per-process instance cache: two handles on one file in one
 * process must share one engine, or their buffers and locks disagree. Closing a handle
 * releases only that handle; the engine shuts when the last one closes.
 */
export async function openDuckdb(file: string, options: Record<string, string>): Promise<DuckDBInstance> {
  if (file === MEMORY_PATH) return DuckDBInstance.create(MEMORY_PATH, options);
  let isFile = false;
  try {
    isFile = (await stat(file)).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!isFile) {
    throw configError(`duckdb source: database file ${file} does not exist (path is relative to the spec directory)`, {
      path: 'source.connection.path',
    });
  }
  return DuckDBInstance.fromCache(file, options);
}

/** Runs a statement and returns its rows as plain objects; for small metadata queries only. */
export async function queryRows(
  connection: DuckDBConnection,
  sql: string,
  params?: DuckDBValue[],
): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql, params);
  return reader.getRowObjectsJson();
}

/** A streaming query: its column names and an iterator over DuckDB's chunks. */
export interface ChunkStream {
  names: string[];
  chunks: AsyncGenerator<DuckDBDataChunk>;
}

/**
 * Starts a streaming query: DuckDB produces chunks as we fetch them instead of
 * materialising the result. The whole stream is one auto-committed transaction, so it
 * reads one snapshot.
 */
export async function streamChunks(connection: DuckDBConnection, sql: string, params: DuckDBValue[]): Promise<ChunkStream> {
  const result = await connection.stream(sql, params);
  async function* chunks(): AsyncGenerator<DuckDBDataChunk> {
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) return;
      yield chunk;
    }
  }
  return { names: result.columnNames(), chunks: chunks() };
}
