/**
 * A local Databricks SQL Statement Execution API 2.0 backed by DuckDB, for the databricks
 * source. It speaks the documented routes and shapes and enforces their rules:
 *   POST /api/2.0/sql/statements               submit (wait_timeout 0s or 5–50s, INLINE or EXTERNAL_LINKS, JSON_ARRAY)
 *   GET  /api/2.0/sql/statements/{id}          state: PENDING → SUCCEEDED | FAILED
 *   GET  /api/2.0/sql/statements/{id}/result/chunks/{n}   the next chunk (and the last one again, for retries)
 *   GET  /files/{id}/{n}                       an external link: a presigned URL, so no Authorization header is allowed
 * INLINE results are capped at 25 MiB (larger ones fail with the documented advice to use
 * EXTERNAL_LINKS); Bearer tokens are checked (401, 403); a request rate is answered 429 with
 * Retry-After; a failed query reports `status.error` with Databricks' error classes. Each
 * statement streams from one DuckDB query (one snapshot), chunk by chunk, so the server holds
 * one chunk per statement, never the whole result.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DuckDBConnection, DuckDBInstance, DuckDBResult } from '@duckdb/node-api';

/** The INLINE disposition's documented limit. */
export const INLINE_LIMIT_BYTES = 25 * 1024 * 1024;

/** Options of {@link startDatabricksServer}. */
export interface DatabricksServerOptions {
  /** The DuckDB database the warehouse serves. */
  instance: DuckDBInstance;
  token: string;
  warehouseId: string;
  /** Rows per result chunk (default 20,000). */
  chunkRows?: number;
  /** Tables the token may not read (answered PERMISSION_DENIED). */
  deniedTables?: string[];
  /** Requests per second before 429 (default unlimited). */
  maxRequestsPerSecond?: number;
}

interface Statement {
  id: string;
  state: 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'CLOSED';
  columns?: Array<{ name: string; type_name: string; type_text: string; position: number }>;
  error?: { error_code: string; message: string };
  disposition: 'INLINE' | 'EXTERNAL_LINKS';
  result?: DuckDBResult;
  connection?: DuckDBConnection;
  /** The last chunk served, kept for a retried fetch, and whether more follow. */
  last?: { index: number; rows: (string | null)[][]; rowOffset: number; more: boolean };
  rowOffset: number;
  pending?: Promise<void>;
}

/** A running server. */
export interface DatabricksServer {
  url: string;
  calls: Record<string, number>;
  close(): Promise<void>;
}

/** DuckDB type → Databricks `type_name`. */
function typeName(duck: string): string {
  if (/^(INTEGER|INT4)$/.test(duck)) return 'INT';
  if (/^(BIGINT|HUGEINT|UBIGINT)$/.test(duck)) return 'BIGINT';
  if (/^(SMALLINT|TINYINT)$/.test(duck)) return 'SHORT';
  if (/^(DOUBLE|FLOAT8)$/.test(duck)) return 'DOUBLE';
  if (/^(FLOAT|REAL)$/.test(duck)) return 'FLOAT';
  if (/^DECIMAL/.test(duck)) return 'DECIMAL';
  if (/^BOOLEAN$/.test(duck)) return 'BOOLEAN';
  if (/^DATE$/.test(duck)) return 'DATE';
  if (/^TIMESTAMP/.test(duck)) return 'TIMESTAMP';
  if (/^BLOB$/.test(duck)) return 'BINARY';
  return 'STRING';
}

/**
 * Databricks SQL as DuckDB runs it, outside string literals: backtick identifiers become
 * double quotes, and `xxhash64(…)` DuckDB's 64-bit `hash(…)` (also variadic and NULL-aware).
 */
export function toDuckdbSql(sql: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'") inString = !inString;
    if (!inString && /^xxhash64\(/i.test(sql.slice(i, i + 9)) && !/\w/.test(sql[i - 1] ?? '')) {
      out += 'hash(';
      i += 8;
      continue;
    }
    if (!inString && c === '`') {
      let name = '';
      for (i++; i < sql.length; i++) {
        if (sql[i] === '`' && sql[i + 1] === '`') {
          name += '`';
          i++;
        } else if (sql[i] === '`') break;
        else name += sql[i];
      }
      out += `"${name.replace(/"/g, '""')}"`;
      continue;
    }
    out += c;
  }
  return out;
}

/** Starts the server on a free local port. */
export async function startDatabricksServer(o: DatabricksServerOptions): Promise<DatabricksServer> {
  const statements = new Map<string, Statement>();
  const calls: Record<string, number> = {};
  const chunkRows = o.chunkRows ?? 20_000;
  const arrivals: number[] = [];
  let base = '';

  const error = (status: number, error_code: string, message: string) => ({ status, body: { error_code, message } });

  /** Runs the statement: plans it, learns its columns, and leaves the stream open for the chunks. */
  const run = async (s: Statement, sql: string) => {
    try {
      const lower = sql.toLowerCase();
      const denied = o.deniedTables?.find((t) => lower.includes(`\`${t.toLowerCase()}\``) || lower.includes(` ${t.toLowerCase()}`));
      if (denied) throw Object.assign(new Error(`[INSUFFICIENT_PERMISSIONS] User does not have SELECT on Table '${denied}'.`), { code: 'PERMISSION_DENIED' });
      s.connection = await o.instance.connect();
      s.result = await s.connection.stream(toDuckdbSql(sql));
      const names = s.result.columnNames();
      const types = s.result.columnTypes().map((t) => t.toString());
      s.columns = names.map((name, position) => ({ name, type_name: typeName(types[position]), type_text: types[position].toLowerCase(), position }));
      s.state = 'SUCCEEDED';
    } catch (err) {
      const message = (err as Error).message;
      const missing = /does not exist|not found/i.test(message);
      s.state = 'FAILED';
      s.error = (err as { code?: string }).code === 'PERMISSION_DENIED'
        ? { error_code: 'PERMISSION_DENIED', message }
        : { error_code: 'BAD_REQUEST', message: missing ? `[TABLE_OR_VIEW_NOT_FOUND] ${message.split('\n')[0]}` : `[PARSE_SYNTAX_ERROR] ${message.split('\n')[0]}` };
      s.connection?.closeSync();
    }
  };

  /** The next chunk's rows as strings (Databricks' JSON_ARRAY values are strings or null). */
  const nextChunk = async (s: Statement): Promise<{ rows: (string | null)[][]; more: boolean }> => {
    const rows: (string | null)[][] = [];
    while (rows.length < chunkRows) {
      const chunk = await s.result!.fetchChunk();
      if (!chunk || chunk.rowCount === 0) {
        s.connection?.closeSync();
        return { rows, more: false };
      }
      for (const r of chunk.getRows()) rows.push(r.map((v, i) => formatValue(v, s.columns![i].type_name)));
    }
    return { rows, more: true };
  };

  const chunkBody = async (s: Statement, index: number) => {
    if (s.last?.index === index) return describeChunk(s, s.last);
    const expected = s.last ? s.last.index + 1 : 0;
    if (index !== expected || (s.last && !s.last.more)) return undefined;
    const { rows, more } = await nextChunk(s);
    s.last = { index, rows, rowOffset: s.rowOffset, more };
    s.rowOffset += rows.length;
    return describeChunk(s, s.last);
  };

  const describeChunk = (s: Statement, c: NonNullable<Statement['last']>) => {
    const next = c.more ? { next_chunk_index: c.index + 1, next_chunk_internal_link: `/api/2.0/sql/statements/${s.id}/result/chunks/${c.index + 1}` } : {};
    if (s.disposition === 'INLINE') return { chunk_index: c.index, row_offset: c.rowOffset, row_count: c.rows.length, data_array: c.rows, ...next };
    return {
      external_links: [{ chunk_index: c.index, row_offset: c.rowOffset, row_count: c.rows.length, external_link: `${base}/files/${s.id}/${c.index}?X-Amz-Signature=${randomUUID()}`, expiration: new Date(Date.now() + 900_000).toISOString(), ...next }],
    };
  };

  const statementBody = async (s: Statement) => {
    const body: Record<string, unknown> = { statement_id: s.id, status: { state: s.state, ...(s.error ? { error: s.error } : {}) } };
    if (s.state !== 'SUCCEEDED') return body;
    body.manifest = { format: 'JSON_ARRAY', schema: { column_count: s.columns!.length, columns: s.columns }, truncated: false };
    const first = await chunkBody(s, 0);
    if (s.disposition === 'INLINE' && first && JSON.stringify(first).length > INLINE_LIMIT_BYTES) {
      s.state = 'FAILED';
      return { statement_id: s.id, status: { state: 'FAILED', error: { error_code: 'BAD_REQUEST', message: 'Inline byte limit exceeded. Statements executed with disposition=INLINE can have a result size of at most 26214400 bytes. Please execute the statement with disposition=EXTERNAL_LINKS if you want to download the full result.' } } };
    }
    body.result = first;
    return body;
  };

  const route = async (req: IncomingMessage, body: string): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const file = /^\/files\/([^/]+)\/(\d+)$/.exec(url.pathname);
    if (file) {
      calls.file = (calls.file ?? 0) + 1;
      if (req.headers.authorization) return error(400, 'INVALID_PARAMETER_VALUE', 'Presigned URLs must be fetched without an Authorization header.');
      const s = statements.get(file[1]);
      const c = s?.last?.index === Number(file[2]) ? s.last : undefined;
      return c ? { status: 200, body: c.rows } : error(404, 'NOT_FOUND', 'The link has expired or the chunk was not the last one fetched.');
    }
    if (req.headers.authorization !== `Bearer ${o.token}`) return error(401, 'UNAUTHENTICATED', 'Invalid access token.');
    if (o.maxRequestsPerSecond !== undefined) {
      const now = Date.now();
      while (arrivals.length && arrivals[0] <= now - 1000) arrivals.shift();
      if (arrivals.length >= o.maxRequestsPerSecond) return { ...error(429, 'TOO_MANY_REQUESTS', 'Too many requests. Please wait a moment and try again.'), headers: { 'retry-after': '1' } };
      arrivals.push(now);
    }
    if (url.pathname === '/api/2.0/sql/statements' && req.method === 'POST') {
      calls.submit = (calls.submit ?? 0) + 1;
      const b = JSON.parse(body || '{}') as { statement?: string; warehouse_id?: string; wait_timeout?: string; disposition?: string; format?: string };
      if (b.warehouse_id !== o.warehouseId) return error(404, 'RESOURCE_DOES_NOT_EXIST', `SQL warehouse ${b.warehouse_id} does not exist.`);
      if (!b.statement) return error(400, 'INVALID_PARAMETER_VALUE', 'statement is required');
      const wait = /^(\d+)s$/.exec(b.wait_timeout ?? '10s');
      if (!wait || (Number(wait[1]) !== 0 && (Number(wait[1]) < 5 || Number(wait[1]) > 50))) return error(400, 'INVALID_PARAMETER_VALUE', 'wait_timeout must be 0s or between 5s and 50s');
      if ((b.format ?? 'JSON_ARRAY') !== 'JSON_ARRAY') return error(400, 'INVALID_PARAMETER_VALUE', 'only JSON_ARRAY results are served here');
      const s: Statement = { id: randomUUID(), state: 'PENDING', disposition: b.disposition === 'EXTERNAL_LINKS' ? 'EXTERNAL_LINKS' : 'INLINE', rowOffset: 0 };
      statements.set(s.id, s);
      s.pending = run(s, b.statement);
      if (Number(wait[1]) === 0) return { status: 200, body: { statement_id: s.id, status: { state: 'PENDING' } } };
      await s.pending;
      return { status: 200, body: await statementBody(s) };
    }
    const m = /^\/api\/2\.0\/sql\/statements\/([^/]+)(?:\/result\/chunks\/(\d+))?(\/cancel)?$/.exec(url.pathname);
    const s = m ? statements.get(m[1]) : undefined;
    if (!m || !s) return error(404, 'RESOURCE_DOES_NOT_EXIST', 'Statement not found.');
    if (m[3] && req.method === 'POST') {
      calls.cancel = (calls.cancel ?? 0) + 1;
      s.state = 'CLOSED';
      s.connection?.closeSync();
      return { status: 200, body: {} };
    }
    if (m[2] !== undefined) {
      calls.chunk = (calls.chunk ?? 0) + 1;
      if (s.state !== 'SUCCEEDED') return error(400, 'INVALID_STATE', `Statement is ${s.state}.`);
      const c = await chunkBody(s, Number(m[2]));
      return c ? { status: 200, body: c } : error(400, 'INVALID_PARAMETER_VALUE', `Chunk ${m[2]} is not available.`);
    }
    calls.poll = (calls.poll ?? 0) + 1;
    await s.pending;
    return { status: 200, body: await statementBody(s) };
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      route(req, Buffer.concat(chunks).toString('utf8')).then(
        (r) => {
          res.writeHead(r.status, { 'content-type': 'application/json', ...(r.headers ?? {}) });
          res.end(JSON.stringify(r.body));
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error_code: 'INTERNAL_ERROR', message: String(err) }));
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
        for (const s of statements.values()) s.connection?.closeSync();
        // Clients keep idle keep-alive sockets open; close() alone would wait for them.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A DuckDB value as the Statement Execution API's JSON_ARRAY writes it: a string, or null. */
function formatValue(v: unknown, type: string): string | null {
  if (v === null || v === undefined) return null;
  if (type === 'TIMESTAMP') {
    // DuckDB's "2024-01-01 00:01:00.001" → ISO 8601 with Z, as Databricks formats timestamps.
    const s = String(v);
    return `${s.replace(' ', 'T')}${/[Z+-]\d*$/.test(s.slice(10)) ? '' : 'Z'}`;
  }
  return String(v);
}
