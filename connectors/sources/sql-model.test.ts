import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isEbbError } from '../../domain/errors';
import { redactValues } from './redact';
import { rebatch } from './rebatch';
import { quoteQualified, splitQualifiedName, wrapModel } from './sql-model';

test('table names: parts are quoted exactly, dots inside quotes kept, junk refused as config', () => {
  assert.equal(quoteQualified('people'), '"people"');
  assert.equal(quoteQualified('Analytics.People'), '"Analytics"."People"');
  assert.deepEqual(splitQualifiedName('"my.schema"."we""ird"'), ['my.schema', 'we"ird']);
  assert.equal(quoteQualified('x"; DROP TABLE t; --'), '"x""; DROP TABLE t; --"');
  for (const bad of ['a..b', '.a', 'a.', '"open', 'a.b.c.d']) {
    assert.throws(() => splitQualifiedName(bad), (err) => isEbbError(err) && err.kind === 'config', bad);
  }
});

test('sql models: wrapped as a subquery, trailing semicolons and line comments are harmless', () => {
  assert.deepEqual(wrapModel({ table: 'public.people' }), { sql: 'SELECT * FROM "public"."people"', object: 'table "public.people"' });
  assert.equal(wrapModel({ sql: ' select 1 -- one\n ; ' }).sql, 'SELECT * FROM (\nselect 1 -- one\n) AS ebb_model');
});

test('rebatch: exact sizes, no empty batch, early stop stops the source', async () => {
  async function* source(sizes: number[], log: string[]) {
    let next = 0;
    try {
      for (const n of sizes) yield Array.from({ length: n }, () => next++);
    } finally {
      log.push('closed');
    }
  }
  const collect = async (sizes: number[], size: number) => {
    const out: number[][] = [];
    for await (const b of rebatch(source(sizes, []), size)) out.push(b);
    return out;
  };
  const batches = await collect([2048, 2048, 904, 0, 3], 1000);
  assert.deepEqual(batches.map((b) => b.length), [1000, 1000, 1000, 1000, 1000, 3]);
  assert.deepEqual(batches.flat(), Array.from({ length: 5003 }, (_, i) => i));
  assert.deepEqual(await collect([], 10), []);
  const log: string[] = [];
  for await (const _ of rebatch(source([5, 5, 5], log), 5)) break;
  assert.deepEqual(log, ['closed']);
});

test('redactValues: quoted values and numbers go, the message shape stays', () => {
  assert.equal(redactValues('invalid input syntax for type integer: "abc 12"'), 'invalid input syntax for type integer: "…"');
  assert.equal(redactValues("Could not convert string 'x' to INT32"), "Could not convert string '…' to INT32");
  assert.equal(redactValues('value 12345 is out of range for INT16'), 'value … is out of range for INT16');
});
