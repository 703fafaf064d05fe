/**
 * `ebb suggest-mapping` over real connectors: a DuckDB model and a PostgreSQL table. The
 * proposal comes from the source's columns and the destination's describe(), reads no rows, and
 * the mapping it proposes passes the plan's fit check as is.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createConnectorContext } from '../../connectors/context';
import { validateSpec } from '../../connectors/spec-validation';
import type { MappingProposal } from '../../domain/suggest-mapping';
import { checkDestinations } from '../../runner/check-destinations';
import { runCli } from '../helpers/cli';
import { createTestDatabase } from '../helpers/postgres';
import { duckdb } from '../helpers/warehouse';

describe('ebb suggest-mapping', () => {
  let dir: string;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const spec = (mapping: Record<string, unknown>) => ({
    name: 'people-to-crm',
    source: { kind: 'duckdb', connection: { path: path.join(dir, 'warehouse.duckdb') } },
    model: { table: 'people' },
    primaryKey: 'person_id',
    destinations: [{ name: 'crm', kind: 'postgres', connection: { url: { env: 'EBB_SUGGEST_PG_URL' } }, object: 'crm_contacts', mapping }],
  });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ebb-suggest-'));
    db = await createTestDatabase('ebb_suggest');
    process.env.EBB_SUGGEST_PG_URL = db.url;
    await duckdb(
      path.join(dir, 'warehouse.duckdb'),
      `CREATE TABLE people (person_id BIGINT, email_address VARCHAR, mobile VARCHAR, given_name VARCHAR, surname VARCHAR, signed_up_at TIMESTAMP, notes VARCHAR)`,
      `INSERT INTO people VALUES (1, 'a@example.com', '+14155550100', 'Ada', 'Lovelace', TIMESTAMP '2026-01-01 10:00:00', 'x')`,
    );
    await db.query(`CREATE TABLE crm_contacts (external_id BIGINT PRIMARY KEY, email TEXT, phone TEXT, first_name TEXT, last_name TEXT NOT NULL, signup_date DATE, fax TEXT)`);
    // the proposal starts from a spec whose mapping is only the key
    await writeFile(path.join(dir, 'people-to-crm.yaml'), JSON.stringify(spec({ external_id: 'person_id' })));
  });
  after(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints a YAML mapping with a confidence and reason per field', async () => {
    const r = await runCli(['suggest-mapping', 'people-to-crm', '--syncs', dir], { EBB_SUGGEST_PG_URL: db.url });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# crm \(crm_contacts\): 6 field\(s\) proposed/m);
    assert.match(r.stdout, /^ {2}email: \{ column: email_address, transform: \[trim, lowercase\] \} +# 0\.90 both name email$/m);
    assert.match(r.stdout, /^ {2}last_name: surname +# 0\.90 both name lastname$/m);
    assert.match(r.stdout, /^ {2}signup_date: \{ column: signed_up_at, format: date \} +# 0\.\d\d/m);
    assert.match(r.stdout, /^ {2}external_id: person_id +# 0\.60 the model's primary key/m);
    assert.match(r.stdout, /# other unmatched fields: fax/);
    assert.match(r.stdout, /# unused model columns: notes/);
  });

  it('proposes, as JSON, a mapping that passes the plan\'s fit check', async () => {
    const r = await runCli(['suggest-mapping', 'people-to-crm', '--syncs', dir, '--json'], { EBB_SUGGEST_PG_URL: db.url });
    assert.equal(r.code, 0, r.stderr);
    const [{ proposal }] = JSON.parse(r.stdout) as { proposal: MappingProposal }[];
    const mapping = Object.fromEntries(
      proposal.suggestions.map((s) => [s.field, s.transform || s.format ? { column: s.column, ...(s.transform ? { transform: s.transform } : {}), ...(s.format ? { format: s.format } : {}) } : s.column]),
    );
    const checked = validateSpec(spec(mapping), 'proposed.yaml');
    await checkDestinations(checked, createConnectorContext({ baseDir: dir }));
  });

  it('names an unknown destination', async () => {
    const r = await runCli(['suggest-mapping', 'people-to-crm', '--syncs', dir, '--destination', 'nope'], { EBB_SUGGEST_PG_URL: db.url });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /has no destination "nope" \(it has crm\)/);
  });
});
