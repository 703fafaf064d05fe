/**
 * `ebb report`: real runs recorded in the PostgreSQL state store (two committed, one with a
 * rejected row, one failed), the report written by the CLI, then opened in headless Chromium
 * (Debian's chromium, driven by playwright-core): the charts render with a mark per run.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { SyncSpecInput } from '../../domain/spec/schema';
import { runCli } from '../helpers/cli';
import { createHarness, type Harness } from '../helpers/harness';
import { createTestDatabase } from '../helpers/postgres';
import { createCustomers, duckdb } from '../helpers/warehouse';
import { startWebhookReceiver } from '../servers/webhook-receiver';

const CHROMIUM = process.env.EBB_CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('ebb report', () => {
  let h: Harness;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let browser: Browser;
  let warehouse: string;
  const spec = (object: string): SyncSpecInput => ({
    name: 'report-sync',
    source: { kind: 'duckdb', connection: { path: warehouse } },
    model: { table: 'customers' },
    primaryKey: 'customer_id',
    sla: '30m',
    costModel: { computePerHour: 1, toolPerMillionRows: 0, egressPerGb: 0.09 },
    destinations: [
      { name: 'hook', kind: 'webhook', connection: { url: `${receiver.url}/${object}`, signingSecret: { env: 'EBB_REPORT_SECRET' } }, object, batchSize: 100, mapping: { id: 'customer_id', email: 'email' } },
    ],
  });

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `headless Chromium is needed at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);
    db = await createTestDatabase('ebb_report');
    h = await createHarness({ stateUrl: db.url });
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 200);
    process.env.EBB_REPORT_SECRET = 'report-secret';
    receiver = await startWebhookReceiver({ secret: 'report-secret', objects: ['contacts'], rejectWhen: (r: { fields: Record<string, unknown> }) => (r.fields.id === 7 ? 'invalid email' : undefined) });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    await h?.close();
    await receiver?.close();
    await db?.drop();
  });

  it('writes an HTML report whose charts render in Chromium, one mark per run', async () => {
    await h.run(spec('contacts')); // 199 ok, 1 rejected
    await duckdb(warehouse, `UPDATE customers SET email = 'changed.' || customer_id || '@example.com' WHERE customer_id <= 10`);
    await h.run(spec('contacts')); // 10 changed, id 7 among them: rejected again
    await assert.rejects(h.run(spec('gone'))); // the endpoint answers 404: a failed run

    const out = path.join(h.dir, 'report.html');
    const cli = await runCli(['report', '--sync', 'report-sync', '--out', out], { EBB_STATE_URL: db.url });
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /wrote .*report\.html \(1 sync\(s\)/);

    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`file://${out}`);
    const section = page.locator('section[data-sync="report-sync"]');
    assert.equal(await section.locator('h2').textContent(), 'report-sync');
    const charts = await section.locator('figure[data-chart]').evaluateAll((fs) => fs.map((f) => f.getAttribute('data-chart')));
    assert.deepEqual(charts, ['latency', 'freshness', 'coverage', 'success', 'rows', 'cpe']);

    // every chart is laid out with a real size
    for (const id of charts) {
      const box = await section.locator(`figure[data-chart="${id}"] svg`).boundingBox();
      assert.ok(box && box.width > 300 && box.height > 150, `${id} renders (${JSON.stringify(box)})`);
    }
    // the committed runs have latency and coverage points; the failed one has none
    assert.equal(await section.locator('[data-chart="latency"] circle.point').count(), 2);
    const coverage = await section.locator('[data-chart="coverage"] circle.point').evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('data-value'))));
    assert.ok(Math.abs(coverage[0] - 99.5) < 1e-9, `first run coverage ${coverage[0]}`);
    // success so far: 100, 100, then 66.7 after the failure
    const success = await section.locator('[data-chart="success"] circle.point').evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('data-value'))));
    assert.deepEqual(success.map((v) => Math.round(v)), [100, 100, 67]);
    // rows by outcome: ok bars for both committed runs, the rejected row in each
    const okBars = await section.locator('[data-chart="rows"] rect.bar.ok[data-value]').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-value'))));
    assert.deepEqual(okBars, [199, 9]);
    assert.equal(await section.locator('[data-chart="rows"] rect.bar.rejected[data-value]').count(), 2);
    assert.match((await section.locator('.tiles').textContent()) ?? '', /success rate66\.67%/);

    const shot = path.join(h.dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok((await stat(shot)).size > 20_000, 'a screenshot with content');
    if (process.env.EBB_UPDATE_SCREENSHOTS) await page.screenshot({ path: path.resolve(__dirname, '../../docs/img/health-report.png'), fullPage: true });
    await page.close();
  });
});
