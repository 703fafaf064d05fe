/**
 * A {@link WarehouseSession} for warehouses whose statements commit on their own (Snowflake,
 * Databricks, BigQuery): there is nothing to commit or roll back, small queries are streams
 * read to the end, and every failure is the source's own error.
 */
import type { EbbError } from '../../domain/errors';
import type { Row, WarehouseSession } from '../types';
import { DEFAULT_BATCH_SIZE } from './rebatch';

/** What a source supplies: running a statement, streaming a query, and mapping its errors. */
export interface AutocommitStatements {
  exec(sql: string): Promise<unknown>;
  stream(sql: string, batchSize: number): AsyncIterable<Row[]>;
  fail(err: unknown): EbbError;
}

/** A session over statements that commit one by one (see {@link WarehouseDialect.transactional}). */
export function autocommitSession(s: AutocommitStatements): WarehouseSession {
  const guard = <T>(fn: () => Promise<T>) => guarded(s.fail, fn);
  return {
    exec: (sql) => guard(async () => void (await s.exec(sql))),
    query: (sql) =>
      guard(async () => {
        const rows: Row[] = [];
        for await (const batch of s.stream(sql, DEFAULT_BATCH_SIZE)) rows.push(...batch);
        return rows;
      }),
    async *stream(sql, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<Row[]> {
      try {
        yield* s.stream(sql, batchSize);
      } catch (err) {
        throw s.fail(err);
      }
    },
    // Every statement has committed already.
    commit: async () => undefined,
    rollback: async () => undefined,
  };
}

/** Runs `fn`, turning its failure into the source's error. */
export async function guarded<T>(fail: (err: unknown) => EbbError, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fail(err);
  }
}
