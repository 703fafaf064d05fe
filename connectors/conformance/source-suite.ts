/**
 * The source conformance suite: one call generates the node:test cases every source must
 * pass, against a real database the caller sets up.
 *
 * ```ts
 * sourceConformance({ connector: duckdbSource, makeConfig, setup, teardown });
 * ```
 *
 * `setup(n)` (re)creates a `people` table holding ids 1..n, where row `id` is exactly
 * {@link expectedPerson}`(id)`:
 *
 * ```sql
 * people(id int primary key, email text, score double, updated_at timestamp)  -- without time zone
 * email      = 'person' || id || '@example.com'
 * score      = id / 4.0                                   -- exact in binary
 * updated_at = TIMESTAMP '2024-01-01 00:00:00' + id minutes + (id % 1000) microseconds
 * ```
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Model } from '../../domain/spec/schema';
import { createConnectorContext } from '../context';
import type { ConnectorContext, ReadRequest, Row, Source, SourceConnector } from '../types';
import { rejection } from './assertions';

/** The `people` table a suite run reads, as `setup` leaves it. */
export interface PeopleFixture {
  /** The model naming the table: `{ table }`, schema-qualified if needed. */
  model: { table: string };
  /** Inserts `n` more rows (ids after the current largest), committed by another connection. */
  insertMore(n: number): Promise<void>;
  /** Deletes these ids, committed by another connection. */
  deleteSome(ids: number[]): Promise<void>;
}

/** What {@link sourceConformance} needs to test one source. */
export interface SourceConformanceOptions<C> {
  connector: SourceConnector<C>;
  /** `source.connection` as a spec would hold it (before schema parsing). */
  makeConfig(): Promise<unknown>;
  /** Context for `create`; defaults to the process environment and working directory. */
  ctx?: ConnectorContext;
  /** Creates or replaces `people` with ids 1..rows (see the module comment). */
  setup(rows: number): Promise<PeopleFixture>;
  /** Drops whatever `setup` created; runs once after all cases. */
  teardown?(): Promise<void>;
  /** A config whose credentials the server refuses; the auth case runs only when given. */
  badAuthConfig?(): Promise<unknown>;
  /** Config fields that must be secret references (an inline value is refused). */
  secretFields?: string[];
  /** Rows streamed by the memory case (default 1,000,000, as the warehouse sources issue asks). */
  memoryRows?: number;
}

const BASE_MS = Date.UTC(2024, 0, 1);

/** The row `setup` must produce for `id`, as a source must emit it. */
export function expectedPerson(id: number): Row {
  return { id, email: `person${id}@example.com`, score: id / 4, updated_at: isoMicros(BASE_MS + id * 60_000, id % 1000) };
}

/** `ms` since the epoch plus `micros` (< 1000) in the sources' fixed ISO form. */
function isoMicros(ms: number, micros: number): string {
  return `${new Date(ms).toISOString().slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
}

/** The same instant as an ISO string with a +02:00 offset, to prove sources honour offsets. */
function plusTwoHours(iso: string): string {
  const [, frac] = /\.(\d+)Z$/.exec(iso) ?? [];
  const shifted = new Date(Date.parse(iso) + 2 * 3_600_000).toISOString();
  return `${shifted.slice(0, 19)}.${frac}+02:00`;
}

async function readAll(source: Source, request: ReadRequest): Promise<{ rows: Row[]; batches: number[] }> {
  const rows: Row[] = [];
  const batches: number[] = [];
  for await (const batch of source.read(request)) {
    batches.push(batch.length);
    for (const row of batch) rows.push(row);
  }
  return { rows, batches };
}

const ids = (rows: Row[]) => rows.map((r) => Number(r.id)).sort((a, b) => a - b);
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** A hash of the rows, independent of their order and of key order within a row. */
function contentHash(rows: Row[]): string {
  const hash = createHash('sha256');
  const sorted = [...rows].sort((a, b) => Number(a.id) - Number(b.id));
  for (const row of sorted) hash.update(JSON.stringify(Object.keys(row).sort().map((k) => [k, row[k]]))).update('\n');
  return hash.digest('hex');
}


async function firstBatch(source: Source, request: ReadRequest): Promise<void> {
  for await (const _ of source.read(request)) break;
}

/** A way to force a full GC: `--expose-gc` when given, else switched on at runtime. */
function gcFunction(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

/** Generates the conformance cases for one source connector. */
export function sourceConformance<C>(options: SourceConformanceOptions<C>): void {
  const { connector } = options;
  const ctx = options.ctx ?? createConnectorContext();
  const open: Source[] = [];

  async function createSource(raw?: unknown): Promise<Source> {
    const config = connector.configSchema.parse(raw ?? (await options.makeConfig()));
    const source = connector.create(config, ctx);
    open.push(source);
    return source;
  }

  describe(`source conformance: ${connector.kind}`, () => {
    after(async () => {
      await Promise.all(open.map((s) => s.close()));
      await options.teardown?.();
    });

    test('config: the schema accepts the test config; missing, unknown and inline-secret fields are refused by path', async () => {
      const raw = (await options.makeConfig()) as Record<string, unknown>;
      assert.ok(connector.configSchema.safeParse(raw).success);
      const unknown = connector.configSchema.safeParse({ ...raw, ebbNoSuchField: 1 });
      assert.equal(unknown.success, false);
      assert.ok(unknown.error?.issues.some((i) => JSON.stringify(i).includes('ebbNoSuchField')), 'the issue names the field');
      for (const field of Object.keys(raw)) {
        // Dropping a field either leaves a valid config (it was optional) or is refused by its path.
        const { [field]: _dropped, ...rest } = raw;
        const without = connector.configSchema.safeParse(rest);
        if (!without.success) assert.ok(without.error.issues.some((i) => i.path[0] === field), `missing ${field} is reported at its path`);
      }
      for (const field of options.secretFields ?? []) {
        const inline = connector.configSchema.safeParse({ ...raw, [field]: 'postgres://user:hunter2@host/db' });
        assert.equal(inline.success, false, `${field} refuses an inline value`);
        assert.ok(inline.error?.issues.some((i) => i.path[0] === field), `the issue's path is ${field}`);
        assert.ok(!JSON.stringify(inline.error?.issues).includes('hunter2'), 'the issue does not echo the secret');
      }
    });

    test('read: streams every row exactly once, in batches of about batchSize, values as JSON', async () => {
      const n = 12_345;
      const { model } = await options.setup(n);
      const source = await createSource();
      const { rows, batches } = await readAll(source, { model, batchSize: 1000 });
      assert.deepEqual(ids(rows), range(1, n), 'ids 1..n, each once');
      assert.ok(batches.every((b) => b > 0 && b <= 2000), `batch sizes within (0, 2×batchSize]: ${batches.join(',')}`);
      assert.ok(batches.length >= Math.ceil(n / 2000), 'the model arrives in several batches, not one');
      for (const row of rows) assert.deepEqual(row, expectedPerson(Number(row.id)));
    });

    test('read: an empty model yields no batches', async () => {
      const { model } = await options.setup(0);
      const source = await createSource();
      assert.deepEqual((await readAll(source, { model })).batches, []);
    });

    test('read: a sql model is wrapped without changing its meaning (trailing comment and semicolon)', async () => {
      const { model } = await options.setup(50);
      const source = await createSource();
      const sql = `select id, email from ${model.table} where id <= 10 -- the first ten\n;`;
      const { rows } = await readAll(source, { model: { sql } });
      assert.deepEqual(ids(rows), range(1, 10));
      assert.deepEqual(Object.keys(rows[0]), ['id', 'email']);
    });

    test('read: one read is one snapshot; changes committed meanwhile appear only in the next read', async () => {
      const n = 20_000;
      const fixture = await options.setup(n);
      const source = await createSource();
      const seen: Row[] = [];
      let changed = false;
      for await (const batch of source.read({ model: fixture.model, batchSize: 500 })) {
        seen.push(...batch);
        if (!changed) {
          changed = true;
          await fixture.insertMore(1000);
          await fixture.deleteSome(range(n - 9, n));
        }
      }
      assert.deepEqual(ids(seen), range(1, n), 'the read saw neither the inserts nor the deletes');
      const next = await readAll(source, { model: fixture.model, batchSize: 5000 });
      assert.deepEqual(ids(next.rows), [...range(1, n - 10), ...range(n + 1, n + 1000)], 'the next read sees both');
    });

    test('read: repeated reads return the same content', async () => {
      const { model } = await options.setup(5000);
      const source = await createSource();
      const first = await readAll(source, { model, batchSize: 700 });
      const second = await readAll(source, { model, batchSize: 3000 });
      assert.equal(first.rows.length, 5000);
      assert.equal(contentHash(first.rows), contentHash(second.rows));
    });

    test('read: since on a timestamp returns exactly the rows with updated_at >= value (offsets honoured)', async () => {
      const { model } = await options.setup(5000);
      const source = await createSource();
      const bound = expectedPerson(2500).updated_at as string;
      const utc = await readAll(source, { model, since: { column: 'updated_at', value: bound } });
      assert.deepEqual(ids(utc.rows), range(2500, 5000));
      const offset = await readAll(source, { model, since: { column: 'updated_at', value: plusTwoHours(bound) } });
      assert.deepEqual(ids(offset.rows), range(2500, 5000), `${plusTwoHours(bound)} is the same instant`);
      assert.ok(utc.rows.every((r) => (r.updated_at as string) >= bound), 'fixed-width ISO strings compare like instants');
    });

    test('read: since on a number returns rows with id >= value', async () => {
      const { model } = await options.setup(5000);
      const source = await createSource();
      assert.deepEqual(ids((await readAll(source, { model, since: { column: 'id', value: 4991 } })).rows), range(4991, 5000));
      assert.deepEqual(ids((await readAll(source, { model, since: { column: 'id', value: 4990.5 } })).rows), range(4991, 5000));
    });

    test('read: since on a column the model lacks is a config error naming the column', async () => {
      const { model } = await options.setup(10);
      const source = await createSource();
      const err = await rejection(readAll(source, { model, since: { column: 'ebb_no_such_column', value: 1 } }));
      assert.equal(err.kind, 'config');
      assert.match(err.message, /ebb_no_such_column/);
    });

    test('columns: lists the model columns in order with engine types', async () => {
      const { model } = await options.setup(3);
      const source = await createSource();
      const columns = await source.columns(model);
      assert.deepEqual(columns.map((c) => c.name), ['id', 'email', 'score', 'updated_at']);
      // Snowflake's integer type is NUMBER(38,0).
      const patterns = [/int|number\(\d+, ?0\)/i, /char|text|string/i, /double|float|real/i, /timestamp/i];
      columns.forEach((c, i) => assert.match(c.type, patterns[i], `${c.name}: ${c.type}`));
    });

    test('check: passes on the model; a missing table is a config error naming it, from check, columns and read', async () => {
      const { model } = await options.setup(3);
      const source = await createSource();
      await source.check(model);
      const missing: Model = { table: 'ebb_no_such_table_7f3a' };
      for (const attempt of [() => source.check(missing), () => source.columns(missing), () => readAll(source, { model: missing })]) {
        const err = await rejection(attempt());
        assert.equal(err.kind, 'config');
        assert.ok(err.nonRetryable);
        assert.match(err.message, /ebb_no_such_table_7f3a/);
        assert.match(err.message, new RegExp(connector.kind), 'the message names the source');
      }
    });

    if (options.badAuthConfig) {
      const badAuthConfig = options.badAuthConfig;
      test('auth: refused credentials are a non-retryable auth error', async () => {
        const { model } = await options.setup(3);
        const source = await createSource(await badAuthConfig());
        for (const attempt of [() => source.check(model), () => readAll(source, { model })]) {
          const err = await rejection(attempt());
          assert.equal(err.kind, 'auth');
          assert.equal(err.nonRetryable, true);
        }
      });
    }

    test('read: stopping early releases the read; the source reads again and closes twice safely', async () => {
      const { model } = await options.setup(20_000);
      const source = await createSource();
      await firstBatch(source, { model, batchSize: 100 });
      await firstBatch(source, { model, batchSize: 100 });
      assert.equal((await readAll(source, { model })).rows.length, 20_000);
      await source.close();
      await source.close();
    });

    /*
     * The measure: V8 heap in use (process.memoryUsage().heapUsed) after a full GC, sampled
     * every 10 batches while the consumer drops each batch, minus the same figure taken
     * before the read. A source that gathers the model in JS (an array of every row) grows
     * by well over the budget at 1M rows; a streaming one stays at a few MB. Native memory
     * an engine buffers outside the JS heap is not counted here: each engine bounds it with
     * its own settings (DuckDB memoryLimit, the PostgreSQL cursor's fetch size).
     */
    test('memory: streaming a large model keeps the heap flat', async (t) => {
      const n = options.memoryRows ?? 1_000_000;
      const { model } = await options.setup(n);
      const source = await createSource();
      const gc = gcFunction();
      const budget = (gc ? 24 : 64) * 1024 * 1024;
      // Warm up first: a source that loads its client library on first use (snowflake-sdk is
      // ~30 MB of heap) would otherwise count the library as growth.
      await firstBatch(source, { model, batchSize: 10 });
      gc?.();
      const base = process.memoryUsage().heapUsed;
      let peak = 0;
      let count = 0;
      let batches = 0;
      for await (const batch of source.read({ model, batchSize: 1000 })) {
        count += batch.length;
        if (++batches % 10 === 0 || !gc) {
          gc?.();
          peak = Math.max(peak, process.memoryUsage().heapUsed - base);
        }
      }
      assert.equal(count, n);
      const mb = (x: number) => `${(x / 1024 / 1024).toFixed(1)} MB`;
      t.diagnostic(`peak heap growth ${mb(peak)} over ${n} rows (budget ${mb(budget)}, gc ${gc ? 'forced' : 'unavailable'})`);
      assert.ok(peak < budget, `heap grew ${mb(peak)} while streaming ${n} rows (budget ${mb(budget)}, gc ${gc ? 'forced' : 'unavailable'})`);
    });
  });
}
