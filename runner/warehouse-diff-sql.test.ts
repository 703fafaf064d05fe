import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { duckdbDialect as d } from '../connectors/sources/duckdb/warehouse';
import { warehouseDialect } from '../connectors/sources/warehouse-dialect';
import { createCandidates, createCommitted, createRunSnapshot, mergeCommitted, nullKeyPredicate, warehouseTables } from './warehouse-diff-sql';

describe('in-warehouse diff SQL', () => {
  it('names tables per sync, destination and run, quoted, within PostgreSQL\'s 63-byte identifiers', () => {
    const long = 'a'.repeat(60);
    const t = warehouseTables(d, 'ebb_state', long, 'crm-webhook', '01a20f99-f3df-793c-b315-19782864653a');
    for (const name of [t.snap, t.meta, t.cand, t.run, t.pend]) {
      const table = name.split('.')[1];
      assert.match(name, /^"ebb_state"\."[a-z0-9_]+"$/);
      assert.ok(table.length - 2 <= 63, table);
    }
    const other = warehouseTables(d, 'ebb_state', long, 'crm_webhook', '01a20f99-f3df-793c-b315-19782864653a');
    assert.notEqual(other.snap, t.snap, '"-" and "_" do not collide');
    assert.equal(other.run, t.run, 'one run snapshot per sync and run, shared by its destinations');
    assert.ok(t.names.cand.startsWith(t.syncPrefix));
    assert.notEqual(warehouseTables(d, 'ebb_state', long, 'crm-webhook', 'next-run').cand, t.cand);
  });

  it('hashes the columns each mapping reads, salted with its mapping version', () => {
    const t = warehouseTables(d, 's', 'sync', 'd', 'r');
    const h = warehouseDialect({ name: 'h', hash: (cols, salt) => `h(${cols.join(',')},${salt})` });
    const sql = createRunSnapshot(h, t, { modelSql: 'SELECT * FROM people', keyColumns: ['id'], hashes: [{ columns: ['email', 'we"ird'], salt: "v'1" }] });
    assert.match(sql, /SELECT m\."id", h\(m\."email",m\."we""ird",'v''1'\) AS "_ebb_h0" FROM \(SELECT \* FROM people\) AS m$/);
    const copied = createRunSnapshot(h, t, { modelSql: 'SELECT * FROM people', keyColumns: ['id'], hashes: [{ columns: ['email'], salt: 'v' }], copied: ['id', 'email'] });
    assert.match(copied, /SELECT m\."id", m\."email", h\(/, 'a warehouse without one snapshot per session copies the rows read out');
  });

  it('a key is untrackable when any part is NULL or empty, as keyOf decides', () => {
    assert.equal(nullKeyPredicate(d, ['a', 'b'], 'r'), `r."a" IS NULL OR CAST(r."a" AS VARCHAR) = '' OR r."b" IS NULL OR CAST(r."b" AS VARCHAR) = ''`);
    assert.equal(d.literal("it's"), "'it''s'");
  });

  it('candidates: changed keys against the snapshot; every key for a resync; no snapshot read for a rebuild', () => {
    const t = warehouseTables(d, 's', 'sync', 'd', 'r');
    const changed = createCandidates(d, t, ['a', 'b'], 0, 'changed');
    assert.match(changed, /FULL OUTER JOIN .* ON r\."a" = w\."a" AND r\."b" = w\."b"/s);
    assert.match(changed, /WHERE r\."a" IS NULL OR w\."a" IS NULL OR w\."_ebb_h" IS NULL OR r\."_ebb_h0" <> w\."_ebb_h"/);
    assert.match(changed, /count\(\*\) AS "_ebb_n"/, 'candidate keys are counted back in the model: duplicates');
    assert.doesNotMatch(createCandidates(d, t, ['a'], 0, 'every'), /WHERE r\."a" IS NULL OR/);
    assert.ok(!createCandidates(d, t, ['a'], 0, 'rebuild').includes(t.snap));
    const ordered = warehouseDialect({ name: 'o', hash: () => 'h()', rowNumber: (keys) => `row_number() OVER (ORDER BY ${keys.join(', ')})` });
    assert.match(createCandidates(ordered, t, ['a'], 0, 'changed'), /row_number\(\) OVER \(ORDER BY d\."a"\) AS "_ebb_ref"/, 'engines that need an order get one');
  });

  it('commit: uncommitted refs and duplicated keys keep a NULL hash; removed keys stay when the mode never deletes', () => {
    const t = warehouseTables(d, 's', 'sync', 'd', 'r');
    const [del, ins] = mergeCommitted(d, t, ['id'], { rebuild: false, keepRemoved: false });
    assert.match(del, /^DELETE FROM "s"\."[a-z0-9_]+_snap" WHERE EXISTS \(.* AND true\)$/);
    assert.match(del, /FROM \S+ AS c LEFT JOIN \S+_pend_[0-9a-f]{8}" AS p ON p\."ref" = c\."_ebb_ref"/, 'pending refs are joined, not a nested IN');
    assert.match(ins, /CASE WHEN c\."_ebb_dup" OR p\."ref" IS NOT NULL THEN NULL ELSE c\."_ebb_h" END/);
    assert.match(ins, /WHERE c\."_ebb_kind" = 'upsert' OR p\."ref" IS NOT NULL/);
    assert.match(mergeCommitted(d, t, ['id'], { rebuild: false, keepRemoved: true })[0], /AND \(c\."_ebb_kind" = 'upsert' OR p\."ref" IS NOT NULL\)/);
    assert.equal(mergeCommitted(d, t, ['id'], { rebuild: true, keepRemoved: false })[0], `UPDATE ${t.snap} SET "_ebb_h" = NULL WHERE 1 = 1`);
    const keyed = warehouseDialect({ name: 'k', hash: () => 'h()', keyTuple: (cols) => `T(${cols.join(', ')})` });
    assert.match(mergeCommitted(keyed, t, ['a', 'b'], { rebuild: false, keepRemoved: false })[0], /^DELETE FROM \S+ WHERE T\("a", "b"\) IN \(SELECT T\(c\."a", c\."b"\) FROM .* WHERE true\)$/);
    const aliased = warehouseDialect({ name: 'a', hash: () => 'h()', deleteAlias: true });
    assert.match(mergeCommitted(aliased, t, ['id'], { rebuild: false, keepRemoved: false })[0], /^DELETE FROM \S+ AS s WHERE EXISTS \(.* WHERE c\."id" = s\."id" AND true\)$/);
  });

  it('the committed snapshot is created once, also where CREATE TABLE IF NOT EXISTS … AS is refused', () => {
    const t = warehouseTables(d, 's', 'sync', 'd', 'r');
    assert.match(createCommitted(d, t, ['id'], 0, { exists: false })[0], /^CREATE TABLE IF NOT EXISTS .* AS SELECT/);
    const strict = warehouseDialect({ name: 'redshift-like', hash: () => 'h()', createIfNotExistsAs: false });
    assert.match(createCommitted(strict, t, ['id'], 0, { exists: false })[0], /^CREATE TABLE "s"\."\w+_snap" AS SELECT/);
    assert.equal(createCommitted(strict, t, ['id'], 0, { exists: true }).length, 1, 'only the meta table, if missing');
  });
});
