/**
 * A local Snowflake endpoint backed by DuckDB, enough for the real snowflake-sdk: login
 * (`/session/v1/login-request`, wrong credentials → 390100), queries
 * (`/queries/v1/query-request`, JSON result format: `rowtype`, the first rows inline in
 * `rowset`, the rest as `chunks` with URLs this server also serves, fetched without the session
 * token as Snowflake's presigned chunk URLs are), logout and heartbeat. Request bodies may be
 * gzip. A query runs in one DuckDB transaction (its count and its rows are one snapshot) and
 * streams: chunks are produced as the driver asks for them, so the server holds only the chunks
 * the driver's prefetch window has not taken yet. Failed SQL answers like Snowflake
 * (`success: false`, code 002003 for a missing object). DDL and DML statements run and commit on
 * their own, as Snowflake commits DDL implicitly. Change tracking, time travel (`AT`, `BEFORE`)
 * and the `CHANGES` clause are emulated for tables with CHANGE_TRACKING = TRUE (time-travel.ts).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { DuckDBConnection, DuckDBInstance, DuckDBResult } from '@duckdb/node-api';
import { SnowflakeSqlError, TimeTravel } from './time-travel';

/** Options of {@link startSnowflakeServer}. */
export interface SnowflakeServerOptions {
  instance: DuckDBInstance;
  username: string;
  password: string;
  /** Rows returned inline with the query response, and rows per further chunk (default 10,000). */
  chunkRows?: number;
}

/** A running server. */
export interface SnowflakeServer {
  url: string;
  calls: Record<string, number>;
  close(): Promise<void>;
}

interface Column {
  name: string;
  type: string;
  precision?: number;
  scale?: number;
  nullable: boolean;
  length?: number;
  byteLength?: number;
}

interface Query {
  id: string;
  columns: Column[];
  connection: DuckDBConnection;
  result: DuckDBResult;
  /** Rows fetched from DuckDB but not yet served, and the next chunk index to cut. */
  buffer: string[];
  next: number;
  cached: Map<number, string>;
  chunks: number;
  done: boolean;
  /** The chunk being cut: the driver asks for several chunks at once, and one DuckDB result must not be read concurrently. */
  cutting: Promise<unknown>;
}

/** DuckDB type → Snowflake rowtype. */
function rowtype(name: string, duck: string): Column {
  const dec = /^DECIMAL\((\d+),(\d+)\)$/.exec(duck);
  if (dec) return { name, type: 'fixed', precision: Number(dec[1]), scale: Number(dec[2]), nullable: true };
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/.test(duck)) return { name, type: 'fixed', precision: 38, scale: 0, nullable: true };
  if (/^(DOUBLE|FLOAT|REAL)$/.test(duck)) return { name, type: 'real', nullable: true };
  if (duck === 'BOOLEAN') return { name, type: 'boolean', nullable: true };
  if (duck === 'DATE') return { name, type: 'date', nullable: true };
  if (duck === 'TIMESTAMP WITH TIME ZONE') return { name, type: 'timestamp_ltz', scale: 9, precision: 0, nullable: true };
  if (/^TIMESTAMP/.test(duck)) return { name, type: 'timestamp_ntz', scale: 9, precision: 0, nullable: true };
  return { name, type: 'text', length: 16_777_216, byteLength: 16_777_216, nullable: true };
}

/** A DuckDB value as Snowflake's JSON rowset writes it (strings, or null). */
function cell(v: unknown, c: Column): string | null {
  if (v === null || v === undefined) return null;
  switch (c.type) {
    case 'boolean':
      return v ? '1' : '0';
    case 'timestamp_ntz':
    case 'timestamp_ltz': {
      // Seconds since the epoch with nine fractional digits.
      const micros = BigInt((v as { micros: bigint }).micros);
      const sec = micros / 1_000_000n - (micros % 1_000_000n < 0n ? 1n : 0n);
      const frac = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
      return `${sec}.${frac.toString().padStart(6, '0')}000`;
    }
    case 'date':
      return String((v as { days: number }).days);
    default:
      return String(v);
  }
}

/** Starts the server on a free local port. */
export async function startSnowflakeServer(o: SnowflakeServerOptions): Promise<SnowflakeServer> {
  const size = o.chunkRows ?? 10_000;
  const sessions = new Set<string>();
  const queries = new Map<string, Query>();
  const calls: Record<string, number> = {};
  const timeTravel = new TimeTravel(o.instance);
  let base = '';
  const count = (k: string) => (calls[k] = (calls[k] ?? 0) + 1);

  /** Cuts the next chunk (`size` rows, JSON rows joined by commas, no brackets). */
  const cut = async (q: Query): Promise<string | undefined> => {
    while (!q.done && q.buffer.length < size) {
      const chunk = await q.result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) {
        q.done = true;
        await q.connection.run('COMMIT').catch(() => undefined);
        q.connection.closeSync();
        break;
      }
      for (const r of chunk.getRows()) q.buffer.push(JSON.stringify(r.map((v, i) => cell(v, q.columns[i]))));
    }
    if (q.buffer.length === 0) return undefined;
    return q.buffer.splice(0, size).join(',');
  };

  const fail = (code: string, message: string, sqlState = '42000') => ({ status: 200, body: { data: { sqlState, queryId: randomUUID() }, code, message, success: false } });

  /**
   * DDL and DML (anything but a SELECT or WITH query) run on their own and commit, as Snowflake
   * commits DDL implicitly; the answer has Snowflake's one-row status or row-count result.
   */
  const statement = async (sql: string) => {
    const connection = await o.instance.connect();
    try {
      const tracking = await timeTravel.statement(sql);
      const changed = tracking.run === undefined ? 0 : (await connection.run(tracking.run)).rowsChanged;
      const queryId = randomUUID();
      await tracking.after(queryId);
      const dml = /^(insert|delete|update)\b/i.test(sql);
      const name = /^insert/i.test(sql) ? 'number of rows inserted' : /^delete/i.test(sql) ? 'number of rows deleted' : /^update/i.test(sql) ? 'number of rows updated' : 'status';
      const column = dml ? { name, type: 'fixed', precision: 19, scale: 0, nullable: false } : { name, type: 'text', length: 16_777_216, byteLength: 16_777_216, nullable: true };
      return {
        status: 200,
        body: {
          data: {
            parameters: [{ name: 'TIMEZONE', value: 'UTC' }],
            rowtype: [{ database: '', schema: '', table: '', ...column }],
            rowset: [[dml ? String(changed) : 'Statement executed successfully.']],
            total: 1,
            returned: 1,
            queryId,
            statementTypeId: dml ? 0x3000 : 0x6000,
            version: 1,
            chunks: [],
            queryResultFormat: 'json',
          },
          code: null,
          message: null,
          success: true,
        },
      };
    } catch (err) {
      if (err instanceof SnowflakeSqlError) return fail(err.code, err.message, err.sqlState);
      const message = (err as Error).message.split('\n')[0];
      if (/does not exist|not found/i.test(message)) return fail('002003', `SQL compilation error:\nObject does not exist or not authorized. (${message})`, '02000');
      return fail('001003', `SQL compilation error:\n${message}`);
    } finally {
      connection.closeSync();
    }
  };

  const query = async (text: string) => {
    if (!/^\(*\s*(select|with)\b/i.test(text)) return statement(text);
    const connection = await o.instance.connect();
    try {
      const { sql, time } = await timeTravel.query(text);
      // One transaction: the count and the rows come from one snapshot.
      await connection.run('BEGIN TRANSACTION');
      const [[total]] = (await connection.runAndReadAll(`SELECT count(*) FROM (${sql}) AS ebb_count`)).getRows();
      const result = await connection.stream(sql);
      const names = result.columnNames();
      const types = result.columnTypes().map((t) => t.toString());
      const q: Query = { id: randomUUID(), columns: names.map((n, i) => rowtype(n, types[i])), connection, result, buffer: [], next: 0, cached: new Map(), chunks: 0, done: false, cutting: Promise.resolve() };
      const rows = Number(total);
      const first = (await cut(q)) ?? '';
      const firstRows = Math.min(rows, size);
      const rest = rows - firstRows;
      const chunks = Array.from({ length: Math.ceil(rest / size) }, (_, i) => ({
        url: `${base}/chunks/${q.id}/${i}?presigned=${randomUUID()}`,
        rowCount: Math.min(size, rest - i * size),
        uncompressedSize: size * 100,
        compressedSize: size * 50,
      }));
      q.chunks = chunks.length;
      timeTravel.remember(q.id, time);
      if (chunks.length) queries.set(q.id, q);
      else if (!q.done) {
        await connection.run('COMMIT').catch(() => undefined);
        connection.closeSync();
      }
      return {
        status: 200,
        body: {
          data: {
            parameters: [{ name: 'TIMEZONE', value: 'UTC' }, { name: 'CLIENT_RESULT_CHUNK_SIZE', value: 160 }],
            rowtype: q.columns.map((c) => ({ database: 'EBB', schema: 'PUBLIC', table: '', ...c })),
            rowset: JSON.parse(`[${first}]`),
            total: rows,
            returned: rows, // every row the result holds (inline and in chunks)
            queryId: q.id,
            databaseProvider: null,
            finalDatabaseName: 'EBB',
            finalSchemaName: 'PUBLIC',
            finalWarehouseName: 'EBB_WH',
            finalRoleName: 'EBB_READER',
            numberOfBinds: 0,
            arrayBindSupported: false,
            statementTypeId: 4096,
            version: 1,
            chunks,
            chunkHeaders: {},
            queryResultFormat: 'json',
          },
          code: null,
          message: null,
          success: true,
        },
      };
    } catch (err) {
      connection.closeSync();
      if (err instanceof SnowflakeSqlError) return fail(err.code, err.message, err.sqlState);
      const message = (err as Error).message.split('\n')[0];
      if (/does not exist|not found/i.test(message)) return fail('002003', `SQL compilation error:\nObject does not exist or not authorized. (${message})`, '02000');
      return fail('001003', `SQL compilation error:\n${message}`);
    }
  };

  const route = async (req: IncomingMessage, raw: Buffer): Promise<{ status: number; body: unknown; text?: string }> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const chunk = /^\/chunks\/([^/]+)\/(\d+)$/.exec(url.pathname);
    if (chunk) {
      count('chunk');
      const q = queries.get(chunk[1]);
      const index = Number(chunk[2]);
      if (!q) return { status: 404, body: { message: 'NoSuchKey' } };
      // One cutter at a time: concurrent fetchChunk calls on one DuckDB result hang or crash.
      const cutUpTo = async () => {
        while (q.next <= index) {
          const body = await cut(q);
          q.cached.set(q.next++, body ?? '');
        }
      };
      const turn = q.cutting.then(cutUpTo);
      q.cutting = turn.catch(() => undefined);
      await turn;
      const text = q.cached.get(index);
      if (text === undefined) return { status: 404, body: { message: 'NoSuchKey' } };
      q.cached.delete(index);
      if (index === q.chunks - 1) queries.delete(q.id);
      return { status: 200, body: undefined, text };
    }
    const body = raw.length ? (JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')) as Record<string, unknown>) : {};
    if (url.pathname === '/session/v1/login-request') {
      count('login');
      const data = (body.data ?? {}) as Record<string, unknown>;
      if (data.LOGIN_NAME !== o.username || data.PASSWORD !== o.password) {
        return { status: 200, body: { data: { nextAction: 'RETRY_LOGIN', authnMethod: 'USERNAME_PASSWORD' }, code: '390100', message: 'Incorrect username or password was specified.', success: false } };
      }
      const token = `ver:1-hint:1-${randomUUID()}`;
      sessions.add(token);
      return {
        status: 200,
        body: {
          data: {
            token,
            masterToken: `master-${randomUUID()}`,
            validityInSeconds: 3600,
            masterValidityInSeconds: 14400,
            sessionId: Date.now(),
            parameters: [{ name: 'TIMEZONE', value: 'UTC' }],
            sessionInfo: { databaseName: url.searchParams.get('databaseName'), schemaName: url.searchParams.get('schemaName'), warehouseName: url.searchParams.get('warehouse'), roleName: url.searchParams.get('roleName') },
          },
          code: null,
          message: null,
          success: true,
        },
      };
    }
    const token = /Snowflake Token="([^"]+)"/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!token || !sessions.has(token)) return { status: 200, body: { data: null, code: '390104', message: 'Authentication token has expired.  The user must authenticate again.', success: false } };
    if (url.pathname === '/queries/v1/query-request') {
      count('query');
      return query(String(body.sqlText ?? '').trim().replace(/;$/, ''));
    }
    if (url.pathname === '/session' && url.searchParams.get('delete') === 'true') {
      count('logout');
      sessions.delete(token);
      return { status: 200, body: { data: null, code: null, message: null, success: true } };
    }
    if (url.pathname === '/session/heartbeat') return { status: 200, body: { data: null, code: null, message: null, success: true } };
    count(`other:${url.pathname}`);
    return { status: 200, body: { data: null, code: null, message: null, success: true } };
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      route(req, Buffer.concat(parts)).then(
        (r) => {
          res.writeHead(r.status, { 'content-type': r.text !== undefined ? 'application/octet-stream' : 'application/json' });
          res.end(r.text ?? JSON.stringify(r.body));
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ success: false, code: '000603', message: String(err) }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const q of queries.values()) if (!q.done) q.connection.closeSync();
        // Clients keep idle keep-alive sockets open; close() alone would wait for them.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
