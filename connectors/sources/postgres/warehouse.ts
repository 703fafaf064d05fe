/**
 * In-warehouse SQL for PostgreSQL sources: one dedicated client per session, in a
 * REPEATABLE READ read-write transaction (one snapshot), streaming through a cursor.
 */
import type pg from 'pg';
import type { EbbError } from '../../../domain/errors';
import type { Row, WarehouseDialect, WarehouseSession, WarehouseSql } from '../../types';
import { DEFAULT_BATCH_SIZE, rebatch } from '../rebatch';
import { warehouseDialect } from '../warehouse-dialect';

/** md5 over the JSON array of the values: NULL-aware, position-aware, and stable across versions. */
export const postgresDialect: WarehouseDialect = warehouseDialect({
  name: 'postgres',
  hash: (columns, salt) => `md5(json_build_array(${[...columns, salt].join(', ')})::text)`,
});

/** How a session gets a client and reports errors: provided by the PostgreSQL source (and Redshift's). */
export interface PostgresWarehouseDeps {
  /** The dialect: PostgreSQL's, or Redshift's. */
  dialect?: WarehouseDialect;
  /** `DECLARE … CURSOR` as Redshift writes it: without `NO SCROLL`, which it does not parse. */
  plainCursor?: boolean;
  connect(): Promise<pg.Client>;
  release(client: pg.Client): Promise<void>;
  fail(err: unknown): EbbError;
  fetchSize: number;
}

/** The PostgreSQL source's {@link WarehouseSql}. */
export function postgresWarehouse(deps: PostgresWarehouseDeps): WarehouseSql {
  return {
    dialect: deps.dialect ?? postgresDialect,
    async begin(): Promise<WarehouseSession> {
      const client = await deps.connect();
      let open = true;
      let cursors = 0;
      const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
        try {
          return await fn();
        } catch (err) {
          throw deps.fail(err);
        }
      };
      const end = async (sql: string) => {
        if (!open) return;
        open = false;
        try {
          await client.query(sql);
        } finally {
          await deps.release(client);
        }
      };
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      } catch (err) {
        await deps.release(client);
        throw deps.fail(err);
      }
      return {
        exec: (sql) => guard(async () => void (await client.query(sql))),
        query: (sql) => guard(async () => (await client.query<Row>(sql)).rows),
        async *stream(sql, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<Row[]> {
          const name = `ebb_wh_${++cursors}`;
          try {
            await client.query(`DECLARE ${name} ${deps.plainCursor ? '' : 'NO SCROLL '}CURSOR FOR ${sql}`);
            async function* fetches(): AsyncGenerator<Row[]> {
              for (;;) {
                const r = await client.query<Row>(`FETCH FORWARD ${deps.fetchSize} FROM ${name}`);
                if (r.rows.length === 0) return;
                yield r.rows;
              }
            }
            yield* rebatch(fetches(), batchSize);
            await client.query(`CLOSE ${name}`);
          } catch (err) {
            throw deps.fail(err);
          }
        },
        commit: () => guard(() => end('COMMIT')),
        rollback: () => end('ROLLBACK').catch(() => undefined),
      };
    },
  };
}
