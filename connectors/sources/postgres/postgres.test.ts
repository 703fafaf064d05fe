import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { sourceConformance } from '../../conformance/source-suite';
import { createConnectorContext } from '../../context';
import type { Source } from '../../types';
import { postgresSource } from './index';
import { rejection, readRows } from '../../conformance/assertions';

// `source scripts/lib/postgres.sh && ebb_ensure_postgres` exports it; the default is that server.
const url = process.env.EBB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:55432/postgres';
const schema = `ebb_src_${randomBytes(4).toString('hex')}`;
const env = {
  EBB_PG: url,
  // Trust authentication accepts any password, so refused credentials are a role that does not exist.
  EBB_PG_BAD_ROLE: withUrl((u) => (u.username = 'ebb_no_such_role')),
  EBB_PG_NO_DB: withUrl((u) => (u.pathname = '/ebb_no_such_db')),
  EBB_PG_REFUSED: withUrl((u) => (u.port = '1')),
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
  connector: postgresSource,
  ctx,
  makeConfig: async () => ({ url: { env: 'EBB_PG' }, fetchSize: 2000 }),
  badAuthConfig: async () => ({ url: { env: 'EBB_PG_BAD_ROLE' } }),
  secretFields: ['url'],
  async setup(rows) {
    const c = await adminClient();
    const table = `${schema}.people`;
    await c.query(`DROP TABLE IF EXISTS ${table}`);
    await c.query(`CREATE TABLE ${table} (id int PRIMARY KEY, email text, score double precision, updated_at timestamp)`);
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



describe('postgres source', () => {
  const sources: Source[] = [];
  const create = (config: unknown) => {
    const source = postgresSource.create(postgresSource.configSchema.parse(config), ctx);
    sources.push(source);
    return source;
  };
  before(adminClient);
  after(async () => {
    await Promise.all(sources.map((s) => s.close()));
  });

  test('values: PostgreSQL types become plain JSON values (UTC ISO timestamps, exact big numbers)', async () => {
    const source = create({ url: { env: 'EBB_PG' } });
    const [row] = await readRows(
      source,
      `SELECT 42 AS int, 9007199254740991::int8 AS big_safe, 9007199254740993::int8 AS big_unsafe,
              12.50::numeric(10,2) AS dec, 123456789012345678.12::numeric AS dec_wide, 'NaN'::numeric AS dec_nan,
              0.1::float8 AS dbl, 'Infinity'::float8 AS inf, true AS bool, 'héllo'::text AS text,
              date '2024-02-29' AS day, timestamp '2024-01-02 03:04:05.123456' AS ts, timestamp '2024-01-02 03:04:05' AS ts_whole,
              timestamptz '2024-01-02 05:04:05+02' AS tstz, 'infinity'::timestamp AS ts_inf,
              '\\x4142'::bytea AS bytes, '6b1c6f3e-7d3a-4a7b-9a55-1f0e2d3c4b5a'::uuid AS id,
              '{"a": [1, 2]}'::jsonb AS doc, ARRAY[1, NULL, 9007199254740993]::int8[] AS bigs,
              ARRAY[timestamp '2024-01-01', NULL] AS stamps, interval '1 day 2 hours' AS span, NULL::text AS nothing`,
    );
    assert.deepEqual(row, {
      int: 42,
      big_safe: 9007199254740991,
      big_unsafe: '9007199254740993',
      dec: 12.5,
      dec_wide: '123456789012345678.12',
      dec_nan: 'NaN',
      dbl: 0.1,
      inf: 'Infinity',
      bool: true,
      text: 'héllo',
      day: '2024-02-29',
      ts: '2024-01-02T03:04:05.123456Z',
      ts_whole: '2024-01-02T03:04:05.000000Z',
      tstz: '2024-01-02T03:04:05.000000Z',
      ts_inf: 'infinity',
      bytes: 'QUI=',
      id: '6b1c6f3e-7d3a-4a7b-9a55-1f0e2d3c4b5a',
      doc: { a: [1, 2] },
      bigs: [1, null, '9007199254740993'],
      stamps: ['2024-01-01T00:00:00.000000Z', null],
      span: 'P1DT2H',
      nothing: null,
    });
    assert.deepEqual(JSON.parse(JSON.stringify(row)), row, 'survives JSON unchanged');
    assert.equal(typeof pg.types.getTypeParser(20)('1'), 'string', "the process-wide pg parsers are untouched");
  });

  test('errors: a missing database is config; a refused connection is transient', async () => {
    const noDb = await rejection(create({ url: { env: 'EBB_PG_NO_DB' } }).check({ table: 'x' }));
    assert.equal(noDb.kind, 'config');
    assert.match(noDb.message, /ebb_no_such_db/);
    const refused = await rejection(create({ url: { env: 'EBB_PG_REFUSED' } }).check({ table: 'x' }));
    assert.equal(refused.kind, 'transient');
    assert.equal(refused.nonRetryable, false);
  });

  test('errors: an unset secret is a config error naming the field; messages never hold the URL', async () => {
    const err = await rejection(create({ url: { env: 'EBB_PG_NOT_SET' } }).check({ table: 'x' }));
    assert.equal(err.kind, 'config');
    assert.match(err.message, /source\.connection\.url/);
    const bad = await rejection(create({ url: { env: 'EBB_PG_BAD_ROLE' } }).check({ table: 'x' }));
    assert.ok(!bad.message.includes(env.EBB_PG_BAD_ROLE));
    assert.match(bad.message, /postgres source 127\.0\.0\.1:\d+\/postgres/);
  });

  test('errors: data errors never echo row values; a statement timeout is transient', async () => {
    const source = create({ url: { env: 'EBB_PG' }, statementTimeoutMs: 200 });
    const data = await rejection(readRows(source, "SELECT 'secret-value-123'::int AS x"));
    assert.equal(data.kind, 'data');
    assert.doesNotMatch(data.message, /secret-value|123/);
    const slow = await rejection(readRows(source, 'SELECT pg_sleep(5) AS x'));
    assert.equal(slow.kind, 'transient');
    assert.match(slow.message, /57014/);
  });

  test('errors: a role without SELECT on the table is an auth error', async () => {
    const c = await adminClient();
    const role = `ebb_noperm_${randomBytes(3).toString('hex')}`;
    await c.query(`CREATE TABLE ${schema}.private (id int)`);
    await c.query(`CREATE ROLE ${role} LOGIN`);
    await c.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
    try {
      const ctxAs = createConnectorContext({ env: { AS_ROLE: withUrl((u) => (u.username = role)) } });
      const source = postgresSource.create(postgresSource.configSchema.parse({ url: { env: 'AS_ROLE' } }), ctxAs);
      const err = await rejection(source.check({ table: `${schema}.private` }));
      await source.close();
      assert.equal(err.kind, 'auth');
      assert.match(err.message, /private/);
    } finally {
      await c.query(`REVOKE ALL ON SCHEMA ${schema} FROM ${role}`);
      await c.query(`DROP ROLE ${role}`);
    }
  });

  test('read: stopping early ends the transaction and the connection on the server', async () => {
    const source = create({ url: { env: 'EBB_PG' }, fetchSize: 100 });
    for await (const batch of source.read({ model: { sql: 'SELECT g AS id FROM generate_series(1, 100000) g' }, batchSize: 100 })) {
      assert.equal(batch.length, 100);
      const during = await (await adminClient()).query(
        "SELECT state FROM pg_stat_activity WHERE application_name = 'ebb-source' AND datname = current_database()",
      );
      assert.deepEqual(during.rows.map((r) => r.state), ['idle in transaction'], 'mid-read: one transaction open');
      break;
    }
    const left = await (await adminClient()).query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'ebb-source'");
    assert.equal(left.rows[0].n, 0);
  });

  test('read: watermark on timestamptz and date columns compares instants', async () => {
    const source = create({ url: { env: 'EBB_PG' } });
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
});
