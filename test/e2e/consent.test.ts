/**
 * Consent as policy-as-code, end to end: a policy file in the syncs folder says the audience
 * serves advertising, which needs explicit consent in the EEA and no denial elsewhere. Rows
 * without it are never sent, counted by reason; when consent is withdrawn, the mirror-mode
 * audience loses the row; the run records the policy's version; a bad policy file stops the
 * run at load-spec, naming the file and the path, before anything is written.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { SyncRunResult } from '../../workflows/types';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { duckdb } from '../helpers/warehouse';

const POLICY = `
purposes:
  advertising: { consentColumn: ads_consent }
destinations:
  - match: { name: audience }
    purposes: [advertising]
regions:
  column: country
  rules:
    - { regions: [EEA], purposes: [advertising], require: explicit }
`;

describe('consent policy at sync time', () => {
  let h: Harness;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let warehouse: string;
  let syncs: string;
  const spec = (policy: string) => `
name: audience-sync
source: { kind: duckdb, connection: { path: ${JSON.stringify(warehouse)} } }
model: { table: people }
primaryKey: id
policy: ${policy}
destinations:
  - name: audience
    kind: postgres
    mode: mirror
    connection: { url: { env: EBB_CONSENT_PG_URL } }
    object: audience
    mapping: { id: id, email: email }
  - name: by-email
    kind: postgres
    connection: { url: { env: EBB_CONSENT_PG_URL } }
    object: by_email
    idField: email
    mapping: { email: { column: email, transform: [trim, lowercase] }, id: id }
`;
  const ids = async (table: string) => (await db.query(`SELECT id FROM ${table} ORDER BY id`)).rows.map((r: { id: number }) => Number(r.id));

  before(async () => {
    db = await createTestDatabase('ebb_consent');
    process.env.EBB_CONSENT_PG_URL = db.url;
    await db.query(`CREATE TABLE audience (id BIGINT PRIMARY KEY, email TEXT)`);
    await db.query(`CREATE TABLE by_email (email TEXT PRIMARY KEY, id BIGINT)`);
    syncs = await mkdtemp(path.join(os.tmpdir(), 'ebb-consent-syncs-'));
    h = await createHarness({ syncsDir: syncs });
    await mkdir(path.join(syncs, 'policies'), { recursive: true });
    await writeFile(path.join(syncs, 'policies', 'consent.yaml'), POLICY);
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await duckdb(
      warehouse,
      `CREATE TABLE people (id BIGINT, email VARCHAR, country VARCHAR, ads_consent VARCHAR)`,
      `INSERT INTO people VALUES
         (1, 'de.yes@example.com', 'DE', 'granted'),
         (2, 'de.unknown@example.com', 'DE', NULL),
         (3, 'us.unknown@example.com', 'US', NULL),
         (4, 'us.no@example.com', 'US', 'denied'),
         (5, 'fr.yes@example.com', 'FR', 'yes'),
         (6, NULL, 'US', 'yes')`,
    );
    await writeFile(path.join(syncs, 'audience-sync.yaml'), spec('policies/consent.yaml'));
  });
  after(async () => {
    await h?.close();
    await db?.drop();
    await rm(syncs, { recursive: true, force: true });
  });

  const run = async () => (await (await h.start('audience-sync')).result()) as SyncRunResult;

  it('sends only rows with consent for the destination\'s purpose, counting the rest by reason', async () => {
    const r = await run();
    const audience = r.destinations.find((d) => d.destination === 'audience')!;
    assert.deepEqual(audience.suppressed, { 'consent:advertising:missing': 1, 'consent:advertising:denied': 1 });
    assert.deepEqual(await ids('audience'), [1, 3, 5, 6]);
    // the other destination serves no purpose: everyone with an email goes; no email, no identity
    const byEmail = r.destinations.find((d) => d.destination === 'by-email')!;
    assert.deepEqual(byEmail.suppressed, { 'identity:missing': 1 });
    assert.deepEqual(await ids('by_email'), [1, 2, 3, 4, 5]);
    assert.match(r.policyVersion ?? '', /^[0-9a-f]{12}$/);
  });

  it('removes a row from the mirror-mode audience when its consent is withdrawn', async () => {
    await duckdb(warehouse, `UPDATE people SET ads_consent = 'no' WHERE id = 1`);
    const r = await run();
    const audience = r.destinations.find((d) => d.destination === 'audience')!;
    assert.equal(audience.removes, 1);
    assert.deepEqual(audience.suppressed, { 'consent:advertising:missing': 1, 'consent:advertising:denied': 2 });
    assert.deepEqual(await ids('audience'), [3, 5, 6]);
  });

  it('stops at load-spec on a bad policy file, naming the file and the path, writing nothing', async () => {
    await writeFile(path.join(syncs, 'policies', 'broken.yaml'), `purposes:\n  advertising: { consentColumn: ads_consent }\ndestinations:\n  - match: {}\n    purposes: [advertsing]\n`);
    await writeFile(path.join(syncs, 'audience-sync.yaml'), spec('policies/broken.yaml'));
    await db.query(`DELETE FROM audience`);
    const err = await run().then(() => assert.fail('should fail'), (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError);
    const message = String((err.cause as Error)?.cause instanceof Error ? ((err.cause as Error).cause as Error).message : err.message);
    assert.match(message, /step=load-spec/);
    assert.match(message, /broken\.yaml: invalid policy/);
    assert.match(message, /destinations\[0\]\.match/);
    assert.match(message, /destinations\[0\]\.purposes\[0\]/);
    assert.deepEqual(await ids('audience'), []);
  });

});
