import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { sourceConformance } from '../../conformance/source-suite';
import { createConnectorContext } from '../../context';
import type { Source } from '../../types';
import { duckdbInstanceOptions } from './client';
import { duckdbSource } from './index';
import { rejection, readRows } from '../../conformance/assertions';

const dir = mkdtempSync(path.join(tmpdir(), 'ebb-duckdb-source-'));
const ctx = createConnectorContext({ baseDir: dir });
const repoRoot = path.resolve(__dirname, '../../..');

const PEOPLE_ROWS = (from: string, to: string) => `
  SELECT i::INTEGER, 'person' || i || '@example.com', i::DOUBLE / 4,
         TIMESTAMP '2024-01-01 00:00:00' + to_minutes(i::BIGINT) + to_microseconds((i % 1000)::BIGINT)
  FROM range(${from}, ${to}) AS t(i)`;

/** Creates a database file holding `sql`, through a private instance closed afterwards. */
async function createFile(name: string, sql: string): Promise<string> {
  const file = path.join(dir, name);
  const instance = await DuckDBInstance.create(file);
  const c = await instance.connect();
  await c.run(sql);
  c.closeSync();
  instance.closeSync();
  return file;
}

// The conformance file is opened read-write so that the writer below can share the source's
// DuckDB instance: DuckDB lets one process hold a file, and "committed by others" means
// another connection of that instance. Read-only files are covered by the lock test below.
const conformanceConfig = { path: 'people.duckdb', readOnly: false };
let writer: { instance: DuckDBInstance; connection: DuckDBConnection } | undefined;

async function writerConnection(): Promise<DuckDBConnection> {
  if (!writer) {
    const file = await createFile('people.duckdb', 'SELECT 1');
    const options = duckdbInstanceOptions(duckdbSource.configSchema.parse(conformanceConfig), file);
    const instance = await DuckDBInstance.fromCache(file, options);
    writer = { instance, connection: await instance.connect() };
  }
  return writer.connection;
}

sourceConformance({
  connector: duckdbSource,
  ctx,
  makeConfig: async () => ({ ...conformanceConfig }),
  async setup(rows) {
    const c = await writerConnection();
    await c.run('CREATE OR REPLACE TABLE people (id INTEGER PRIMARY KEY, email VARCHAR, score DOUBLE, updated_at TIMESTAMP)');
    await c.run(`INSERT INTO people ${PEOPLE_ROWS('1', String(rows + 1))}`);
    return {
      model: { table: 'people' },
      async insertMore(n) {
        const max = Number((await c.runAndReadAll('SELECT coalesce(max(id), 0) FROM people')).getRows()[0][0]);
        await c.run(`INSERT INTO people ${PEOPLE_ROWS(String(max + 1), String(max + n + 1))}`);
      },
      async deleteSome(ids) {
        await c.run(`DELETE FROM people WHERE id IN (${ids.map(Number).join(',')})`);
      },
    };
  },
  async teardown() {
    writer?.connection.closeSync();
    writer?.instance.closeSync();
  },
});



/** Runs `code` in another Node process, where DuckDB takes its own file locks. */
function otherProcessOpens(file: string, mode: 'READ_WRITE' | 'READ_ONLY'): string {
  const code = `require('@duckdb/node-api').DuckDBInstance.create(${JSON.stringify(file)}, { access_mode: '${mode}' })
    .then((i) => { i.closeSync(); console.log('opened'); }, (e) => console.log(e.message));`;
  return spawnSync(process.execPath, ['-e', code], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 }).stdout.trim();
}

describe('duckdb source', () => {
  const sources: Source[] = [];
  const create = (config: unknown) => {
    const source = duckdbSource.create(duckdbSource.configSchema.parse(config), ctx);
    sources.push(source);
    return source;
  };
  after(async () => {
    await Promise.all(sources.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('config: defaults to read-only with a 128MB memory limit; a bad memoryLimit is refused by path', () => {
    assert.deepEqual(duckdbSource.configSchema.parse({ path: 'w.duckdb' }), { path: 'w.duckdb', readOnly: true, memoryLimit: '128MB' });
    const bad = duckdbSource.configSchema.safeParse({ path: 'w.duckdb', memoryLimit: 'lots' });
    assert.deepEqual(bad.error?.issues.map((i) => i.path), [['memoryLimit']]);
  });

  test('values: every DuckDB type becomes a plain JSON value', async () => {
    const source = create({ path: ':memory:' });
    const [row] = await readRows(
      source,
      `SELECT 42::INTEGER AS int, 9007199254740991::BIGINT AS big_safe, 9007199254740993::BIGINT AS big_unsafe,
              170141183460469231731687303715884105727::HUGEINT AS huge, 12.50::DECIMAL(10,2) AS dec,
              123456789012345678.12::DECIMAL(38,2) AS dec_wide, 0.1::DOUBLE AS dbl, 'nan'::DOUBLE AS nan,
              true AS bool, 'héllo' AS text, DATE '2024-02-29' AS day,
              TIMESTAMP '2024-01-02 03:04:05.123456' AS ts, TIMESTAMPTZ '2024-01-02 05:04:05+02' AS tstz,
              '2024-01-02 03:04:05.123456789'::TIMESTAMP_NS AS ts_ns, 'infinity'::TIMESTAMP AS ts_inf,
              '\\x41\\x42'::BLOB AS bytes, '6b1c6f3e-7d3a-4a7b-9a55-1f0e2d3c4b5a'::UUID AS id,
              [1, 2, NULL] AS list, {'a': 1, 'b': [TIMESTAMP '2024-01-01']} AS struct, NULL::VARCHAR AS nothing`,
    );
    assert.deepEqual(row, {
      int: 42,
      big_safe: 9007199254740991,
      big_unsafe: '9007199254740993',
      huge: '170141183460469231731687303715884105727',
      dec: 12.5,
      dec_wide: '123456789012345678.12',
      dbl: 0.1,
      nan: 'NaN',
      bool: true,
      text: 'héllo',
      day: '2024-02-29',
      ts: '2024-01-02T03:04:05.123456Z',
      tstz: '2024-01-02T03:04:05.000000Z',
      ts_ns: '2024-01-02T03:04:05.123456789Z',
      ts_inf: 'infinity',
      bytes: 'QUI=',
      id: '6b1c6f3e-7d3a-4a7b-9a55-1f0e2d3c4b5a',
      list: [1, 2, null],
      struct: { a: 1, b: ['2024-01-01T00:00:00.000000Z'] },
      nothing: null,
    });
    assert.deepEqual(JSON.parse(JSON.stringify(row)), row, 'survives JSON unchanged');
  });

  test('check: a missing file is a config error naming the path, and no database is created', async () => {
    for (const readOnly of [true, false]) {
      const source = create({ path: 'nowhere/warehouse.duckdb', readOnly });
      const err = await rejection(source.check({ table: 'people' }));
      assert.equal(err.kind, 'config');
      assert.match(err.message, /nowhere\/warehouse\.duckdb/);
      assert.equal(existsSync(path.join(dir, 'nowhere/warehouse.duckdb')), false);
    }
  });

  test('read-only: while a source holds the file, no other process can write it; after close one can', async () => {
    const file = await createFile('locked.duckdb', `CREATE TABLE people AS ${PEOPLE_ROWS('1', '20001')}`);
    const source = create({ path: 'locked.duckdb' });
    let blocked = '';
    let count = 0;
    for await (const batch of source.read({ model: { table: 'people' }, batchSize: 1000 })) {
      if (count === 0) blocked = otherProcessOpens(file, 'READ_WRITE');
      count += batch.length;
    }
    assert.equal(count, 20_000);
    assert.match(blocked, /lock/i, 'the writer was refused during the read');
    assert.equal(otherProcessOpens(file, 'READ_ONLY'), 'opened', 'other readers are welcome');
    await source.close();
    assert.equal(otherProcessOpens(file, 'READ_WRITE'), 'opened');
  });

  test('the file and its memory are let go when the last in-warehouse session ends, and reopened on next use', async () => {
    const file = await createFile('released.duckdb', `CREATE TABLE people AS ${PEOPLE_ROWS('1', '101')}`);
    const source = create({ path: 'released.duckdb', readOnly: false });
    const session = await source.warehouse!.begin();
    await session.exec('CREATE TABLE ebb_seen AS SELECT count(*) AS n FROM people');
    assert.match(otherProcessOpens(file, 'READ_ONLY'), /lock/i, 'held while a session is open');
    await session.commit();
    // Nothing open: DuckDB's buffer pool (up to memoryLimit after a large diff) is not held on.
    assert.equal(otherProcessOpens(file, 'READ_WRITE'), 'opened');
    assert.deepEqual(await readRows(source, 'SELECT n FROM ebb_seen'), [{ n: 100 }]);
  });

  test('in-warehouse SQL: what a long statement freed goes back to the OS when it ends', async () => {
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
    const source = create({ path: ':memory:', memoryLimit: '1GB' });
    const session = await source.warehouse!.begin();
    try {
      const before = rss();
      // A 3M-group aggregate: a few hundred MB of hash table, freed when the statement ends.
      await session.exec(`CREATE TABLE groups AS SELECT count(*) AS n FROM (SELECT i % 3000000 AS k, count(*) FROM range(6000000) t(i) GROUP BY k)`);
      const grown = rss() - before;
      assert.ok(grown < 80 * 2 ** 20, `resident memory grew by ${Math.round(grown / 2 ** 20)} MB`);
    } finally {
      await session.rollback();
    }
  });

  test('an in-memory database stays open between uses: what a session wrote is still there', async () => {
    const source = create({ path: ':memory:' });
    const session = await source.warehouse!.begin();
    await session.exec('CREATE TABLE kept AS SELECT 42 AS x');
    await session.commit();
    assert.deepEqual(await readRows(source, 'SELECT x FROM kept'), [{ x: 42 }]);
  });

  test('a file locked by a writing process is a transient error', async () => {
    const file = await createFile('busy.duckdb', 'CREATE TABLE t AS SELECT 1 AS x');
    const code = `require('@duckdb/node-api').DuckDBInstance.create(${JSON.stringify(file)}).then((i) => { globalThis.held = i; console.log('ready'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0)); });`;
    const child = spawn(process.execPath, ['-e', code], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        child.on('exit', () => reject(new Error('writer exited early')));
      });
      const err = await rejection(create({ path: 'busy.duckdb' }).check({ table: 't' }));
      assert.equal(err.kind, 'transient');
      assert.equal(err.nonRetryable, false);
      assert.match(err.message, /busy\.duckdb/);
    } finally {
      child.stdin.end();
      await new Promise((r) => child.on('exit', r));
    }
  });

  test('errors: data errors never echo row values; repeated column names lose no value', async () => {
    const source = create({ path: ':memory:' });
    const data = await rejection(readRows(source, "SELECT 'secret-value-123'::INTEGER AS x"));
    assert.equal(data.kind, 'data');
    assert.doesNotMatch(data.message, /secret-value|123/);
    assert.equal(data.cause, undefined, 'the unredacted vendor error is not attached');
    // DuckDB renames repeats when the model is wrapped as a subquery, so both values survive.
    assert.deepEqual(await readRows(source, 'SELECT 1 AS a, 2 AS a'), [{ a: 1, a_1: 2 }]);
  });

  test('two sources on one file share the engine: closing one leaves the other working', async () => {
    await createFile('shared.duckdb', 'CREATE TABLE t AS SELECT range AS x FROM range(10)');
    const a = create({ path: 'shared.duckdb' });
    const b = create({ path: 'shared.duckdb' });
    assert.equal((await readRows(a, 'SELECT * FROM t')).length, 10);
    assert.equal((await readRows(b, 'SELECT * FROM t')).length, 10);
    await a.close();
    assert.equal((await readRows(b, 'SELECT * FROM t')).length, 10);
  });
});
