import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { destinationConformance } from '../../conformance/destination-suite';
import { createConnectorContext } from '../../context';
import type { Destination, RecordWrite, WriteBatch } from '../../types';
import { testPgUrl } from '../../../test/helpers/postgres';
import { toEbbError } from './errors';
import { postgresDestination } from './index';
import { rejection } from '../../conformance/assertions';

// Every run works in its own schema, so test files can run in parallel against one server.
const schema = `ebb_pgdest_${randomBytes(4).toString('hex')}`;
const admin = new pg.Pool({ connectionString: testPgUrl(), max: 2 });
const sql = (text: string, params?: unknown[]) => admin.query(text, params);
const withUser = (user: string) => {
  const u = new URL(testPgUrl());
  u.username = user;
  return u.toString();
};
const noRole = `ebb_no_such_role_${randomBytes(3).toString('hex')}`;
const readOnlyRole = `ebb_ro_${randomBytes(3).toString('hex')}`;
const env = {
  ...process.env,
  EBB_PGDEST_URL: testPgUrl(),
  EBB_PGDEST_NO_ROLE_URL: withUser(noRole),
  EBB_PGDEST_RO_URL: withUser(readOnlyRole),
  EBB_PGDEST_NOT_A_URL: 'mysql://root:hunter2pw@127.0.0.1/x',
  EBB_PGDEST_UNREACHABLE_URL: 'postgres://someone:hunter2pw@127.0.0.1:9/db',
};
const ctx = () => createConnectorContext({ env });
const config = (over: Record<string, unknown> = {}) => ({ url: { env: 'EBB_PGDEST_URL' }, schema, ...over });
const open = (over: Record<string, unknown> = {}) => postgresDestination.create(postgresDestination.configSchema.parse(config(over)), ctx());

async function setupSchema() {
  await sql(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await sql(`CREATE TABLE IF NOT EXISTS ${schema}.contacts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL CHECK (name NOT LIKE 'forbidden%'),
    email VARCHAR(40),
    score INT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
}

// Once, after every suite of this file.
after(async () => {
  await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await sql(`DROP ROLE IF EXISTS ${readOnlyRole}`);
  await admin.end();
});

destinationConformance({
  connector: postgresDestination,
  makeConfig: () => config(),
  requiredFields: ['url'],
  secretFields: ['url'],
  object: 'contacts',
  idField: 'id',
  setup: setupSchema,
  makeContext: ctx,
  readAll: async () => new Map((await sql(`SELECT id, name FROM ${schema}.contacts`)).rows.map((r) => [r.id as string, r])),
  missingObject: 'no_such_table',
  faults: {
    // The CHECK constraint refuses this name for this row only.
    rejectRow: (id) => ({ name: `forbidden name of ${id}` }),
    // With trust authentication a wrong password is accepted, so the refused credential is an
    // unknown role: SQLSTATE 28000, the same auth class as a bad password (28P01).
    badAuth: () => config({ url: { env: 'EBB_PGDEST_NO_ROLE_URL' } }),
    // No rateLimited fault: PostgreSQL has no 429. An overloaded server shows up as connection
    // or timeout errors, which are transient (tested below with a statement timeout).
  },
});

describe('postgres destination: specifics', () => {
  let dest: Destination;
  let seq = 1000;
  const batch = (records: Omit<RecordWrite, 'seq'>[], idField = 'id', object = 'contacts'): WriteBatch => {
    const recs = records.map((r) => ({ ...r, seq: ++seq }));
    return { object, idField, records: recs, idempotencyKey: `specifics:pg:${recs[0]?.seq}` };
  };
  const row = async (id: string) => (await sql(`SELECT id, name, email, score FROM ${schema}.contacts WHERE id = $1`, [id])).rows[0];
  const up = (id: string, fields: Record<string, unknown>): Omit<RecordWrite, 'seq'> => ({ key: id, op: 'upsert', fields: { id, ...fields } });

  before(async () => {
    await setupSchema(); // also when only this suite runs (--test-name-pattern)
    await sql(`CREATE TABLE ${schema}.events (event_id BIGINT, label TEXT)`);
    dest = open();
  });
  after(async () => {
    await dest?.close();
  });

  it('mixes operations in one batch: upsert, insert, update, delete', async () => {
    await sql(`INSERT INTO ${schema}.contacts (id, name, score) VALUES ('mx-upd', 'old', 1), ('mx-del', 'doomed', 1), ('mx-ins', 'kept', 1)`);
    const b = batch([
      up('mx-new', { name: 'new', score: 5 }),
      { key: 'mx-upd', op: 'update', fields: { id: 'mx-upd', name: 'updated', score: 2 } },
      { key: 'mx-del', op: 'delete', fields: { id: 'mx-del' } },
      { key: 'mx-ins', op: 'insert', fields: { id: 'mx-ins', name: 'would overwrite', score: 9 } },
    ]);
    const r = await dest.write(b);
    assert.deepEqual(r.results.map((x) => x.status), ['ok', 'ok', 'ok', 'ok']);
    assert.deepEqual(await row('mx-new'), { id: 'mx-new', name: 'new', email: null, score: 5 });
    assert.deepEqual(await row('mx-upd'), { id: 'mx-upd', name: 'updated', email: null, score: 2 });
    assert.equal(await row('mx-del'), undefined);
    assert.equal((await row('mx-ins')).name, 'kept', 'insert mode leaves an existing row as it is');
  });

  it('writes bigint values past 2^53 exactly (as decimal text PostgreSQL parses)', async () => {
    await sql(`CREATE TABLE ${schema}.big_events (event_id BIGINT PRIMARY KEY, label TEXT)`);
    const r = await dest.write({ object: `${schema}.big_events`, idField: 'event_id', records: [{ seq: 1, key: 'e1', op: 'upsert', fields: { event_id: 9007199254740993n, label: 'big' } }], idempotencyKey: 'specifics:pg:bigint' });
    assert.deepEqual(r.results.map((x) => x.status), ['ok']);
    const [got] = (await sql(`SELECT event_id::text AS id, label FROM ${schema}.big_events`)).rows;
    assert.deepEqual(got, { id: '9007199254740993', label: 'big' });
  });

  it('update mode: a row that matched nothing is rejected "record not found"; the others update', async () => {
    await sql(`INSERT INTO ${schema}.contacts (id, name) VALUES ('u-1', 'one')`);
    const b = batch([
      { key: 'u-1', op: 'update', fields: { id: 'u-1', name: 'uno' } },
      { key: 'u-missing', op: 'update', fields: { id: 'u-missing', name: 'ghost' } },
    ]);
    const r = await dest.write(b);
    const bySeq = new Map(r.results.map((x) => [x.seq, x]));
    assert.equal(bySeq.get(b.records[0].seq)?.status, 'ok');
    assert.deepEqual(bySeq.get(b.records[1].seq), { seq: b.records[1].seq, status: 'rejected', reason: 'record not found (update mode changes existing rows only)' });
    assert.equal((await row('u-1')).name, 'uno');
    assert.equal(await row('u-missing'), undefined);
  });

  it('isolates several bad rows of different kinds in a large batch, value-free, and writes all the others, idempotently', async () => {
    const records = Array.from({ length: 40 }, (_, i) => up(`bis-${i}`, { name: `name ${i}`, score: i, email: `p${i}@example.com` }));
    records[3] = up('bis-3', { name: null, score: 3 }); // 23502 not null
    records[17] = up('bis-17', { name: 'n', email: `way-too-long-address-${'x'.repeat(40)}@example.com` }); // 22001
    records[29] = up('bis-29', { name: 'n', score: 'not-a-number-value' }); // 22P02
    records[38] = up('bis-38', { name: 'forbidden-secretish-value' }); // 23514
    const b = batch(records);
    for (let round = 0; round < 2; round++) {
      const r = await dest.write(b);
      assert.equal(r.results.length, 40);
      const rejected = new Map(r.results.filter((x) => x.status === 'rejected').map((x) => [x.seq, (x as { reason: string }).reason]));
      assert.deepEqual([...rejected.keys()].sort((x, y) => x - y), [3, 17, 29, 38].map((i) => b.records[i].seq));
      assert.match(rejected.get(b.records[3].seq)!, /^null value in column "name" violates not-null constraint \(SQLSTATE 23502\)$/);
      assert.match(rejected.get(b.records[17].seq)!, /value too long for type character varying\(40\) \(SQLSTATE 22001\)/);
      assert.match(rejected.get(b.records[29].seq)!, /invalid input syntax for type integer.*\(SQLSTATE 22P02\)/);
      assert.match(rejected.get(b.records[38].seq)!, /violates check constraint "contacts_name_check" \(SQLSTATE 23514\)/);
      for (const reason of rejected.values()) {
        assert.doesNotMatch(reason, /not-a-number-value|way-too-long|secretish|Failing row|example\.com/);
      }
      const { rows } = await sql(`SELECT count(*)::int AS n FROM ${schema}.contacts WHERE id LIKE 'bis-%'`);
      assert.equal(rows[0].n, 36);
    }
    assert.deepEqual(await row('bis-20'), { id: 'bis-20', name: 'name 20', email: 'p20@example.com', score: 20 });
  });

  it('a field that is not a column is a config error naming it; nothing is written', async () => {
    const err = await rejection(dest.write(batch([up('cfg-1', { name: 'a', nickname: 'b' })])));
    assert.equal(err.kind, 'config');
    assert.match(err.message, /column "nickname" does not exist in table ebb_pgdest_\w+\.contacts; add it/);
    assert.equal(await row('cfg-1'), undefined);
  });

  it('an idField that is not unique cannot upsert: config error', async () => {
    const err = await rejection(dest.write(batch([{ key: '1', op: 'upsert', fields: { event_id: 1, label: 'x' } }], 'event_id', 'events')));
    assert.equal(err.kind, 'config');
    assert.match(err.message, /idField "event_id" is neither the primary key nor a unique column of table ebb_pgdest_\w+\.events/);
  });

  it('accepts a schema-qualified object', async () => {
    const other = open({ schema: 'public' });
    try {
      const r = await other.write(batch([up('q-1', { name: 'qualified' })], 'id', `${schema}.contacts`));
      assert.equal(r.results[0].status, 'ok');
      assert.equal((await row('q-1')).name, 'qualified');
    } finally {
      await other.close();
    }
  });

  it('describe() reports types, identifiers and required columns', async () => {
    const d = await dest.describe('contacts');
    assert.deepEqual(d.fields, [
      { name: 'id', type: 'text', identifier: true, required: true },
      { name: 'name', type: 'text', identifier: false, required: true },
      { name: 'email', type: 'character varying(40)', identifier: false, required: false },
      { name: 'score', type: 'integer', identifier: false, required: false },
      { name: 'created_at', type: 'timestamp with time zone', identifier: false, required: false },
    ]);
  });

  it('check() refuses a user without INSERT/UPDATE privilege as an auth error', async () => {
    await sql(`CREATE ROLE ${readOnlyRole} LOGIN`);
    const d = open({ url: { env: 'EBB_PGDEST_RO_URL' } });
    try {
      const err = await rejection(d.check('contacts'));
      assert.equal(err.kind, 'auth');
      assert.match(err.message, /may not INSERT and UPDATE table ebb_pgdest_\w+\.contacts; GRANT/);
    } finally {
      await d.close();
    }
  });

  it('a URL secret that is not a postgres URL is a config error that does not echo it', async () => {
    const d = open({ url: { env: 'EBB_PGDEST_NOT_A_URL' } });
    try {
      const err = await rejection(d.check('contacts'));
      assert.equal(err.kind, 'config');
      assert.match(err.message, /connection\.url: expected a postgres:\/\/ URL/);
      assert.doesNotMatch(err.message, /hunter2pw|root/);
    } finally {
      await d.close();
    }
  });

  it('an unreachable server is transient, naming host:port but not the password', async () => {
    const d = open({ url: { env: 'EBB_PGDEST_UNREACHABLE_URL' } });
    try {
      const err = await rejection(d.write(batch([up('unreach', { name: 'x' })])));
      assert.equal(err.kind, 'transient');
      assert.match(err.message, /cannot reach postgres at 127\.0\.0\.1:9 \(ECONNREFUSED\)/);
      assert.doesNotMatch(err.message, /hunter2pw/);
    } finally {
      await d.close();
    }
  });

  it('a statement timeout (a lock held elsewhere) is transient', async () => {
    const locker = await admin.connect();
    const d = open({ statementTimeoutMs: 200 });
    try {
      await d.check('contacts'); // load metadata before the lock
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${schema}.contacts IN ACCESS EXCLUSIVE MODE`);
      const err = await rejection(d.write(batch([up('locked', { name: 'x' })])));
      assert.equal(err.kind, 'transient');
      assert.match(err.message, /SQLSTATE 57014/);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
      await d.close();
    }
  });

  it('maps the SQLSTATEs it cannot provoke here: bad password, deadlock, serialization', () => {
    const site = { table: 'public.t', server: 'db:5432' };
    const pgErr = (code: string, message: string) => Object.assign(new Error(message), { code });
    assert.equal(toEbbError(pgErr('28P01', 'password authentication failed for user "app"'), site).kind, 'auth');
    assert.equal(toEbbError(pgErr('40P01', 'deadlock detected'), site).kind, 'transient');
    assert.equal(toEbbError(pgErr('40001', 'could not serialize access'), site).kind, 'transient');
    assert.equal(toEbbError(pgErr('42P01', 'relation "t" does not exist'), site).kind, 'config');
    const whole = toEbbError(pgErr('22P02', 'invalid input syntax for type integer: "secret-value"'), site);
    assert.equal(whole.kind, 'data');
    assert.doesNotMatch(whole.message, /secret-value/);
  });
});

