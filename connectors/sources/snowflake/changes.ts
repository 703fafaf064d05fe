/**
 * Snowflake change tracking for `changeDetection.mode: cdc`: the warehouse's clock, reads pinned
 * by time travel (`AT(TIMESTAMP => …)`), and the keys changed between two points through the
 * `CHANGES` clause, joined to the table as of the later point, so a key that changed several
 * times comes out once, with its latest row, and a key gone at that point comes out as removed.
 */
import type snowflake from 'snowflake-sdk';
import { configError, EbbError } from '../../../domain/errors';
import type { Model } from '../../../domain/spec/schema';
import type { ChangedRow, ChangesRequest, ChangeTracking, ReadRequest, Row } from '../../types';
import { DEFAULT_BATCH_SIZE } from '../rebatch';
import { projection, quoteIdent, quoteQualified } from '../sql-model';
import type * as Client from './client';

/** How change tracking reaches Snowflake: provided by the Snowflake source. */
export interface SnowflakeChangesDeps {
  connect(): Promise<snowflake.Connection>;
  client(): Promise<typeof Client>;
  /** Maps a driver failure to an EbbError naming the source and `object`. */
  fail(err: unknown, object: string): EbbError;
  /** Names the source in messages. */
  label: string;
}

/** Snowflake's answer when a table has no change tracking, or none as far back as asked. */
const NOT_TRACKED = /Change tracking is not enabled|Time travel data is not available/i;

/** An epoch-milliseconds point as a Snowflake TIMESTAMP_LTZ expression. */
const point = (ms: number): string => {
  if (!Number.isSafeInteger(ms) || ms < 0) throw configError(`change tracking point ${ms} is not a time`, { path: 'changeDetection.mode' });
  return `TO_TIMESTAMP_LTZ(${ms}, 3)`;
};
const iso = (ms: number) => new Date(ms).toISOString();

function tableOf(model: Model, label: string): string {
  if (!('table' in model)) throw configError(`${label}: changeDetection.mode "cdc" reads a table's change tracking; the model is SQL: set model.table`, { path: 'model.table' });
  return model.table;
}

/** Snowflake's {@link ChangeTracking}. */
export function snowflakeChanges(deps: SnowflakeChangesDeps): ChangeTracking {
  /** Plans `sql` (no row is read); false when Snowflake answers that the history is not there. */
  const answers = async (table: string, sql: string): Promise<boolean> => {
    try {
      const connection = await deps.connect();
      await (await deps.client()).statementColumns(connection, sql);
      return true;
    } catch (err) {
      if (NOT_TRACKED.test(String((err as Error).message))) return false;
      throw err instanceof EbbError ? err : deps.fail(err, `table ${JSON.stringify(table)}`);
    }
  };

  const guarded = async function* <T>(table: string, fn: () => AsyncGenerator<T>): AsyncGenerator<T> {
    try {
      yield* fn();
    } catch (err) {
      throw err instanceof EbbError ? err : deps.fail(err, `table ${JSON.stringify(table)}`);
    }
  };

  return {
    async now(): Promise<number> {
      try {
        const connection = await deps.connect();
        const c = await deps.client();
        let ms = Number.NaN;
        // TIMESTAMP_LTZ has nanoseconds; the pin keeps milliseconds (floor), so it is never later than now.
        for await (const rows of c.streamBatches(connection, 'SELECT CURRENT_TIMESTAMP() AS EBB_NOW', 1)) ms = Date.parse(String(rows[0]?.EBB_NOW));
        if (!Number.isNaN(ms)) return ms;
        throw configError(`${deps.label}: CURRENT_TIMESTAMP() returned no time`, { path: 'source.connection' });
      } catch (err) {
        throw err instanceof EbbError ? err : deps.fail(err, 'CURRENT_TIMESTAMP()');
      }
    },

    async checkTracking(model: Model, at: number): Promise<void> {
      const table = tableOf(model, deps.label);
      // CHANGES over an empty interval: Snowflake refuses it on a table without change tracking.
      if (await answers(table, `SELECT 1 AS ok FROM ${quoteQualified(table)} CHANGES(INFORMATION => DEFAULT) AT(TIMESTAMP => ${point(at)}) END(TIMESTAMP => ${point(at)}) LIMIT 0`)) return;
      throw configError(
        `${deps.label}: table ${JSON.stringify(table)} has no change tracking, which changeDetection.mode "cdc" reads; run ALTER TABLE ${table} SET CHANGE_TRACKING = TRUE (as the table's owner), or use changeDetection.mode "diff"`,
        { path: 'changeDetection.mode' },
      );
    },

    async canReadAt(model: Model, at: number): Promise<boolean> {
      if (!('table' in model)) return false;
      // Time travel needs DATA_RETENTION_TIME_IN_DAYS > 0 (not so for every transient table).
      return answers(model.table, `SELECT 1 AS ok FROM ${quoteQualified(model.table)} AT(TIMESTAMP => ${point(at)}) LIMIT 0`);
    },

    readAt(request: ReadRequest & { at: number }): AsyncIterable<Row[]> {
      const table = tableOf(request.model, deps.label);
      return guarded(table, async function* () {
        const connection = await deps.connect();
        const c = await deps.client();
        const sql = `SELECT ${projection(request.columns)} FROM ${quoteQualified(table)} AT(TIMESTAMP => ${point(request.at)}) AS ebb_at`;
        yield* c.streamBatches(connection, sql, request.batchSize ?? DEFAULT_BATCH_SIZE);
      });
    },

    readChanges(request: ChangesRequest): AsyncIterable<ChangedRow[]> {
      const table = tableOf(request.model, deps.label);
      return guarded(table, async function* () {
        const connection = await deps.connect();
        const c = await deps.client();
        const keys = request.keyColumns.map(quoteIdent);
        const markers = keys.map((k, i) => `c.${k} AS "EBB_KEY_${i}"`).join(', ');
        const columns = request.columns ? request.columns.map((x) => `t.${quoteIdent(x)}`).join(', ') : 't.*';
        const sql = `SELECT ${markers}, (t.${keys[0]} IS NULL) AS "EBB_REMOVED", ${columns}
          FROM (SELECT DISTINCT ${keys.join(', ')} FROM ${quoteQualified(table)} CHANGES(INFORMATION => DEFAULT) AT(TIMESTAMP => ${point(request.since)}) END(TIMESTAMP => ${point(request.until)})) c
          LEFT JOIN ${quoteQualified(table)} AT(TIMESTAMP => ${point(request.until)}) t ON ${keys.map((k) => `t.${k} = c.${k}`).join(' AND ')}`;
        try {
          for await (const batch of c.streamBatches(connection, sql, request.batchSize ?? DEFAULT_BATCH_SIZE)) {
            yield batch.map((raw) => changed(raw, request.keyColumns));
          }
        } catch (err) {
          if (!NOT_TRACKED.test(String((err as Error).message))) throw err;
          // The table is tracked at `until` (checkTracking passed): the history does not reach back to `since`.
          throw configError(
            `${deps.label}: Snowflake no longer has the changes of table ${JSON.stringify(table)} since the last committed point (${iso(request.since)}): its change tracking history is shorter (DATA_RETENTION_TIME_IN_DAYS, or tracking was off meanwhile); run the sync once with fullResync to read the whole table again`,
            { path: 'changeDetection.mode' },
          );
        }
      });
    },
  };
}

/** A result row as a {@link ChangedRow}: the key from the change set, the rest from the table. */
function changed(raw: Row, keyColumns: readonly string[]): ChangedRow {
  const removed = raw.EBB_REMOVED === true;
  const row: Row = {};
  if (removed) keyColumns.forEach((k, i) => (row[k] = raw[`EBB_KEY_${i}`]));
  else for (const [k, v] of Object.entries(raw)) if (k !== 'EBB_REMOVED' && !k.startsWith('EBB_KEY_')) row[k] = v;
  return { row, removed };
}
