import type { DuckDBAppender, DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import type { BulkColumn, BulkColumnType, BulkLoader } from './sql-driver';

const SQL_TYPES: Record<BulkColumnType, string> = { varchar: 'VARCHAR', double: 'DOUBLE', bigint: 'BIGINT' };

/** Bytes buffered per insert (about 10,000 staged rows of a typical model): fewer, larger inserts are cheaper. */
const BATCH_BYTES = 2 << 20;

// Separators that JSON text never holds raw (JSON.stringify escapes U+0000–U+001F).
const FIELD = '\x1f';
const ROW_BYTE = 0x1e;
const NULL = '\x1d';
/** A varchar holding any of these cannot travel in the text: it takes the appender instead. */
// eslint-disable-next-line no-control-regex -- the separators are control characters by design
const RESERVED = /[\x1c-\x1f]/;

/**
 * DuckDB's bulk loader: rows are packed into one text per ~2 MB (fields and rows split by
 * control characters) and inserted by one prepared statement that splits them again inside
 * DuckDB. The insert runs on DuckDB's threads while the caller maps the next rows; with the
 * appender, every value was a native call and every flush blocked the event loop (over half
 * of a plan's main-thread time). One insert in flight at a time: `append` returns a promise
 * only when the previous one must finish first. A row with a reserved character in a varchar
 * (never seen in keys and JSON in practice) goes through an appender on its own connection.
 */
export async function textBulkLoader(
  connect: () => Promise<DuckDBConnection>,
  table: string,
  columns: readonly BulkColumn[],
  batchBytes = BATCH_BYTES,
): Promise<BulkLoader> {
  const c = await connect();
  // Fixed columns travel once, as parameters ($2, $3, …); the others in the text, in order.
  const sent = columns.map((col, i) => i).filter((i) => columns[i].fixed === undefined);
  const fixed = columns.map((col, i) => i).filter((i) => columns[i].fixed !== undefined);
  const fields = columns.map((col, i) =>
    col.fixed !== undefined ? `CAST($${fixed.indexOf(i) + 2} AS ${SQL_TYPES[col.type]})` : decode(col.type, `p[${sent.indexOf(i) + 1}]`),
  );
  let statement: DuckDBPreparedStatement;
  try {
    statement = await c.prepare(
      `INSERT INTO ${table} (${columns.map((col) => col.name).join(', ')})
       SELECT ${fields.join(', ')} FROM (SELECT string_split(line, chr(31)) AS p FROM (SELECT unnest(string_split($1, chr(30))) AS line))`,
    );
  } catch (err) {
    c.closeSync();
    throw err;
  }
  fixed.forEach((i, k) => statement.bindVarchar(k + 2, columns[i].fixed as string));
  const encoders = sent.map((i) => encoder(columns[i].type));
  // Rows are written as UTF-8 into one reused buffer, outside the JS heap: a batch kept as a JS
  // string was copied by every young-generation GC until sent (most of the plan's GC time).
  const buf = Buffer.allocUnsafe(batchBytes);
  let pos = 0;
  let inflight: Promise<void> | undefined;
  let odd: { connection: DuckDBConnection; appender: DuckDBAppender } | undefined;

  /** Queues the buffered rows behind the insert in flight; resolves when that one is done. */
  const send = (): Promise<void> => {
    const previous = inflight;
    if (pos > 0) {
      const batch = buf.toString('utf8', 0, pos);
      pos = 0;
      const next = (async () => {
        if (previous) await previous;
        statement.bindVarchar(1, batch);
        await statement.run();
      })();
      // Errors surface at the next append that waits, or at close; never unhandled meanwhile.
      next.catch(() => undefined);
      inflight = next;
    }
    return previous ?? Promise.resolve();
  };

  const appendOdd = async (row: readonly unknown[]): Promise<void> => {
    if (!odd) {
      const connection = await connect();
      const [catalog, name] = table.includes('.') ? table.split('.', 2) : [null, table];
      odd = { connection, appender: await connection.createAppender(name, catalog ? 'main' : null, catalog) };
    }
    const a = odd.appender;
    columns.forEach((col, i) => appendValue(a, col.type, col.fixed ?? row[i]));
    a.endRow();
  };

  return {
    append(row) {
      let line = '';
      for (let i = 0; i < encoders.length; i++) {
        const v = encoders[i](row[sent[i]]);
        if (v === undefined) return appendOdd(row);
        line += i === 0 ? v : FIELD + v;
      }
      const room = line.length * 3 + 1; // UTF-8 takes at most 3 bytes per UTF-16 unit
      if (room > buf.length) return appendOdd(row); // a row bigger than a whole batch
      let waited: Promise<void> | undefined;
      if (pos + room > buf.length) waited = send();
      if (pos > 0) buf[pos++] = ROW_BYTE;
      pos += buf.write(line, pos, 'utf8');
      return waited;
    },
    async close() {
      try {
        send();
        if (inflight) await inflight;
        odd?.appender.closeSync();
      } finally {
        odd?.connection.closeSync();
        statement.destroySync();
        c.closeSync();
      }
    },
  };
}

/** SQL turning a text field back into a column value. */
function decode(type: BulkColumnType, field: string): string {
  switch (type) {
    case 'varchar':
      return `nullif(${field}, chr(29))`;
    case 'double':
      return `CAST(nullif(${field}, '') AS DOUBLE)`;
    case 'bigint':
      return `CAST(nullif(${field}, '') AS BIGINT)`;
  }
}

/** A value as a text field; undefined when it cannot travel as text. */
function encoder(type: BulkColumnType): (v: unknown) => string | undefined {
  switch (type) {
    case 'varchar':
      return (v) => {
        if (v === null || v === undefined) return NULL;
        const s = String(v);
        return RESERVED.test(s) ? undefined : s;
      };
    case 'double':
      return (v) => (v === null || v === undefined ? '' : String(Number(v)));
    case 'bigint':
      return (v) => (v === null || v === undefined ? '' : String(BigInt(v as number)));
  }
}

function appendValue(a: DuckDBAppender, type: BulkColumnType, v: unknown): void {
  if (v === null || v === undefined) return a.appendNull();
  if (type === 'varchar') return a.appendVarchar(String(v));
  if (type === 'double') return a.appendDouble(Number(v));
  return a.appendBigInt(BigInt(v as number));
}
