/**
 * The Redshift source against the real PostgreSQL server (Redshift speaks its wire protocol):
 * the conformance suite, plus what is Redshift-specific: the cursor statements it sends, its
 * session setup, watermark literals and error mapping.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { sourceConformance } from '../../conformance/source-suite';
import { rejection, readRows } from '../../conformance/assertions';
import { createConnectorContext } from '../../context';
import type { Source } from '../../types';
import { redshiftSource } from './index';
import { mapRedshiftError } from './errors';
import { watermarkLiteral } from './read';
import { superText, varbyteText } from './values';

// `source scripts/lib/postgres.sh && ebb_ensure_postgres` exports it; the default is that server.
const url = process.env.EBB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:55432/postgres';
const schema = `ebb_rs_${randomBytes(4).toString('hex')}`;
const env = {
  EBB_RS: url,
  // Trust authentication accepts any password, so refused credentials are a user that does not exist.
  EBB_RS_BAD_USER: withUrl((u) => (u.username = 'ebb_no_such_user')),
  EBB_RS_REFUSED: withUrl((u) => (u.port = '1')),
};
const ctx = createConnectorContext({ env });

function withUrl(change: (u: URL) => void): string {
  const u = new URL(url);
  change(u);
  return u.toString();
}

let admin: pg.Client | undefined;
async function adminClient(): Promise<pg.Client> {
  if (!admin) {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  }
  return admin;
}

const PEOPLE_ROWS = (from: string, to: string) => `
  SELECT i, 'person' || i || '@example.com', i::float8 / 4,
         timestamp '2024-01-01 00:00:00' + make_interval(mins => i) + (i % 1000) * interval '1 microsecond'
  FROM generate_series(${from}, ${to}) AS t(i)`;

sourceConformance({
  connector: redshiftSource,
  ctx,
  makeConfig: async () => ({ url: { env: 'EBB_RS' }, fetchSize: 1000 }),
  badAuthConfig: async () => ({ url: { env: 'EBB_RS_BAD_USER' } }),
  secretFields: ['url'],
  memoryRows: 1_000_000,
  async setup(rows) {
    const c = await adminClient();
    const table = `${schema}.people`;
    await c.query(`DROP TABLE IF EXISTS ${table}`);
    await c.query(`CREATE TABLE ${table} (id int PRIMARY KEY, email varchar(256), score double precision, updated_at timestamp)`);
    await c.query(`INSERT INTO ${table} ${PEOPLE_ROWS('1', String(rows))}`);
    return {
      model: { table },
      async insertMore(n) {
        const { rows: r } = await c.query<{ m: number }>(`SELECT coalesce(max(id), 0)::int AS m FROM ${table}`);
        await c.query(`INSERT INTO ${table} ${PEOPLE_ROWS(String(r[0].m + 1), String(r[0].m + n))}`);
      },
      async deleteSome(ids) {
        await c.query(`DELETE FROM ${table} WHERE id = ANY($1::int[])`, [ids]);
      },
    };
  },
  async teardown() {
    await admin?.query(`DROP TABLE IF EXISTS ${schema}.people`);
  },
});

after(async () => {
  await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin?.end();
});

describe('redshift source', () => {
  const sources: Source[] = [];
  const create = (config: unknown) => {
    const source = redshiftSource.create(redshiftSource.configSchema.parse(config), ctx);
    sources.push(source);
    return source;
  };
  before(adminClient);
  after(async () => {
    await Promise.all(sources.map((s) => s.close()));
  });

  test('read: a named cursor in one transaction, FETCH FORWARD n, never a single row, no parameters', async () => {
    // Record what the connector sends on the wire by watching pg.Client.query.
    const sent: { text: string; values: unknown }[] = [];
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const [q, values] = args as [string | { text: string }, unknown];
      if (this !== admin) sent.push({ text: typeof q === 'string' ? q : q.text, values });
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      const source = create({ url: { env: 'EBB_RS' }, fetchSize: 250 });
      const rows = await readRows(source, 'SELECT g AS id FROM generate_series(1, 1000) g');
      assert.equal(rows.length, 1000);
      const texts = sent.map((s) => s.text);
      assert.deepEqual(texts.slice(0, 3), ["SET timezone TO 'UTC'", "SET DateStyle TO 'ISO, YMD'", 'SET extra_float_digits TO 2']);
      assert.equal(texts[3], 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      assert.match(texts[4], /^DECLARE ebb_cursor CURSOR FOR /);
      assert.deepEqual(texts.slice(5, -1), Array(5).fill('FETCH FORWARD 250 FROM ebb_cursor'), 'four full fetches and an empty one');
      assert.equal(texts.at(-1), 'COMMIT');
      assert.ok(sent.every((s) => s.values === undefined), 'no bind parameters (Redshift cursors take none)');
      assert.ok(!texts.some((t) => /NO SCROLL|WITH HOLD|IntervalStyle|FETCH (NEXT|1 )/i.test(t)));
    } finally {
      pg.Client.prototype.query = original;
    }
  });

  test('config: fetchSize 1 is refused (single-row fetches); the default is 1000, the single-node cap', () => {
    assert.equal(redshiftSource.configSchema.safeParse({ url: { env: 'X' }, fetchSize: 1 }).success, false);
    assert.equal(redshiftSource.configSchema.parse({ url: { env: 'X' } }).fetchSize, 1000);
  });

  test('values: shared types follow the PostgreSQL rules; doubles round-trip; SUPER and VARBYTE decode', async () => {
    const source = create({ url: { env: 'EBB_RS' } });
    const [row] = await readRows(
      source,
      `SELECT 9007199254740993::int8 AS big, 12.50::numeric(10,2) AS dec, (1::float8 / 3) AS third,
              timestamp '2024-01-02 03:04:05.5' AS ts, timestamptz '2024-01-02 05:04:05+02' AS tstz,
              date '2024-02-29' AS day, 'x'::varchar(10) AS s, NULL::int AS nothing`,
    );
    assert.deepEqual(row, {
      big: '9007199254740993',
      dec: 12.5,
      third: 1 / 3,
      ts: '2024-01-02T03:04:05.500000Z',
      tstz: '2024-01-02T03:04:05.000000Z',
      day: '2024-02-29',
      s: 'x',
      nothing: null,
    });
    assert.deepEqual(superText('{"a":[1,"b"]}'), { a: [1, 'b'] });
    assert.equal(superText('not json'), 'not json');
    assert.equal(varbyteText('4142'), 'QUI=');
  });

  test('columns: engine type names without unnest (one constant format_type select)', async () => {
    const source = create({ url: { env: 'EBB_RS' } });
    const cols = await source.columns({ sql: "SELECT 1::int8 AS a, 'x'::varchar(12) AS b, 1.5::numeric(12,2) AS c" });
    assert.deepEqual(cols, [
      { name: 'a', type: 'bigint' },
      { name: 'b', type: 'character varying(12)' },
      { name: 'c', type: 'numeric(12,2)' },
    ]);
  });

  test('watermark literals: exact numbers, instants, refused shapes', () => {
    assert.equal(watermarkLiteral(23, 4990.5, 'id'), '4990.5');
    assert.equal(watermarkLiteral(1700, '12345678901234567890.5', 'n'), '12345678901234567890.5');
    assert.equal(watermarkLiteral(1184, '2024-01-01T00:00:00.000001+02:00', 'at'), "'2024-01-01T00:00:00.000001+02:00'::timestamptz");
    assert.equal(watermarkLiteral(1114, '2024-01-01T00:00:00Z', 'at'), "('2024-01-01T00:00:00Z'::timestamptz AT TIME ZONE 'UTC')");
    assert.equal(watermarkLiteral(25, "o'k", 'name'), "'o''k'");
    for (const [oid, value] of [[1114, "2024'; DROP TABLE x; --"], [23, '1 OR 1=1'], [23, Number.NaN], [25, 'a\\b']] as const) {
      assert.throws(() => watermarkLiteral(oid, value, 'c'), (e: Error) => /changeDetection/.test(e.message) || /watermark/.test(e.message));
    }
  });

  test('read: watermark on timestamptz and date columns compares instants', async () => {
    const source = create({ url: { env: 'EBB_RS' } });
    const sql = `SELECT g AS id, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour' AS at, date '2024-01-01' + g AS day
                 FROM generate_series(1, 48) g`;
    const since = async (column: string, value: string) => {
      const ids: number[] = [];
      for await (const b of source.read({ model: { sql }, since: { column, value } })) ids.push(...b.map((r) => Number(r.id)));
      return ids.sort((a, b) => a - b);
    };
    assert.deepEqual(await since('at', '2024-01-02T23:00:00+02:00'), [45, 46, 47, 48]);
    assert.deepEqual(await since('day', '2024-02-16T00:00:00Z'), [46, 47, 48]);
  });

  test('errors: refused connection is transient; messages name the redshift source, never the URL', async () => {
    const refused = await rejection(create({ url: { env: 'EBB_RS_REFUSED' } }).check({ table: 'x' }));
    assert.equal(refused.kind, 'transient');
    assert.match(refused.message, /^redshift source 127\.0\.0\.1:1\//);
    const bad = await rejection(create({ url: { env: 'EBB_RS_BAD_USER' } }).check({ table: 'x' }));
    assert.equal(bad.kind, 'auth');
    assert.ok(!bad.message.includes(env.EBB_RS_BAD_USER));
    const timeout = await rejection(readRows(create({ url: { env: 'EBB_RS' }, statementTimeoutMs: 200 }), 'SELECT pg_sleep(5) AS x'));
    assert.equal(timeout.kind, 'transient');
  });

  test('errors: the cursor limits Redshift enforces are config errors naming what to change', () => {
    const scope = { source: 'redshift source h:5439/dev', object: 'table "s.t"' };
    // Redshift's messages for its two cursor limits, as the server words them.
    const fetch = mapRedshiftError(
      Object.assign(new Error('Fetch size 2000 exceeds the limit of 1000 for a single node configuration. Reduce the client fetch/cache size or upgrade to a multi node installation.'), { code: 'XX000' }),
      scope,
    );
    assert.equal(fetch.kind, 'config');
    assert.ok(fetch.nonRetryable);
    assert.match(fetch.message, /fetchSize/);
    const size = mapRedshiftError(
      Object.assign(new Error('exceeded the maximum size allowed for the total set of cursor data: 8000MB.'), { code: 'XX000' }),
      scope,
    );
    assert.equal(size.kind, 'config');
    assert.match(size.message, /table "s\.t"/);
  });
});
