import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCandidates, createRunSnapshot, literal, mergeCommitted, nullKeyPredicate, warehouseTables } from './warehouse-diff-sql';

describe('in-warehouse diff SQL', () => {
  it('names tables per sync, destination and run, quoted, within PostgreSQL\'s 63-byte identifiers', () => {
    const long = 'a'.repeat(60);
    const t = warehouseTables('ebb_state', long, 'crm-webhook', '01a20f99-f3df-793c-b315-19782864653a');
    for (const name of [t.snap, t.meta, t.cand, t.run]) {
      const table = name.split('.')[1];
      assert.match(name, /^"ebb_state"\."[a-z0-9_]+"$/);
      assert.ok(table.length - 2 <= 63, table);
    }
    const other = warehouseTables('ebb_state', long, 'crm_webhook', '01a20f99-f3df-793c-b315-19782864653a');
    assert.notEqual(other.snap, t.snap, '"-" and "_" do not collide');
    assert.equal(other.run, t.run, 'one run snapshot per sync and run, shared by its destinations');
    assert.ok(t.candName.startsWith(t.syncPrefix));
    assert.notEqual(warehouseTables('ebb_state', long, 'crm-webhook', 'next-run').cand, t.cand);
  });

  it('hashes the columns each mapping reads, salted with its mapping version', () => {
    const t = warehouseTables('s', 'sync', 'd', 'r');
    const sql = createRunSnapshot(t, {
      modelSql: 'SELECT * FROM people',
      keyColumns: ['id'],
      hashes: [{ columns: ['email', 'we"ird'], salt: "v'1" }],
      hash: (cols, salt) => `h(${cols.join(',')},${salt})`,
    });
    assert.match(sql, /SELECT m\."id", h\(m\."email",m\."we""ird",'v''1'\) AS _ebb_h0 FROM \(SELECT \* FROM people\) AS m$/);
  });

  it('a key is untrackable when any part is NULL or empty, as keyOf decides', () => {
    assert.equal(nullKeyPredicate(['a', 'b'], 'r'), `r."a" IS NULL OR CAST(r."a" AS VARCHAR) = '' OR r."b" IS NULL OR CAST(r."b" AS VARCHAR) = ''`);
    assert.equal(literal("it's"), "'it''s'");
  });

  it('candidates: changed keys against the snapshot; every key for a resync; no snapshot read for a rebuild', () => {
    const t = warehouseTables('s', 'sync', 'd', 'r');
    const changed = createCandidates(t, ['a', 'b'], 0, 'changed');
    assert.match(changed, /FULL OUTER JOIN .* ON r\."a" = w\."a" AND r\."b" = w\."b"/s);
    assert.match(changed, /WHERE r\."a" IS NULL OR w\."a" IS NULL OR w\._ebb_h IS NULL OR r\._ebb_h0 <> w\._ebb_h/);
    assert.match(changed, /count\(\*\) AS _ebb_n/, 'candidate keys are counted back in the model: duplicates');
    assert.doesNotMatch(createCandidates(t, ['a'], 0, 'every'), /WHERE r\."a" IS NULL OR/);
    assert.ok(!createCandidates(t, ['a'], 0, 'rebuild').includes(t.snap));
  });

  it('commit: uncommitted refs and duplicated keys keep a NULL hash; removed keys stay when the mode never deletes', () => {
    const t = warehouseTables('s', 'sync', 'd', 'r');
    const [del, ins] = mergeCommitted(t, ['id'], 'pending', { rebuild: false, keepRemoved: false });
    assert.match(del, /^DELETE FROM .* WHERE EXISTS \(.* AND true\)$/);
    assert.match(ins, /CASE WHEN c\._ebb_dup OR c\._ebb_ref IN \(SELECT ref FROM pending\) THEN NULL ELSE c\._ebb_h END/);
    assert.match(ins, /WHERE c\._ebb_kind = 'upsert' OR c\._ebb_ref IN \(SELECT ref FROM pending\)/);
    assert.match(mergeCommitted(t, ['id'], 'pending', { rebuild: false, keepRemoved: true })[0], /AND \(c\._ebb_kind = 'upsert' OR c\._ebb_ref IN/);
    assert.equal(mergeCommitted(t, ['id'], 'pending', { rebuild: true, keepRemoved: false })[0], `UPDATE ${t.snap} SET _ebb_h = NULL`);
  });
});
