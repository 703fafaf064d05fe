/**
 * OpenTelemetry traces: a sync started by a client with ebb's interceptors produces one trace,
 * from the client's StartWorkflow through the workflow to every activity, exported through a
 * real span processor. Spans name steps and syncs, never row values.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createHarness, type Harness } from '../helpers/harness';
import { createCustomers, duckdb } from '../helpers/warehouse';

describe('OpenTelemetry tracing', () => {
  let h: Harness;
  let warehouse: string;
  const exporter = new InMemorySpanExporter();

  before(async () => {
    h = await createHarness({ spanProcessor: new SimpleSpanProcessor(exporter) });
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await createCustomers(warehouse, 300);
  });
  after(() => h?.close());

  it('traces client → workflow → activities in one trace, with no row values', async () => {
    const result = await h.run({
      name: 'traced-sync',
      source: { kind: 'duckdb', connection: { path: warehouse } },
      model: { table: 'customers' },
      primaryKey: 'customer_id',
      destinations: [{ name: 'export', kind: 'file', connection: { directory: path.join(h.dir, 'out') }, object: 'customers', batchSize: 100, mapping: { id: 'customer_id', email: 'email' } }],
    });
    assert.equal(result.destinations[0].ok, 300);
    // workflow spans reach the processor through a sink, after the workflow task completes
    for (let i = 0; i < 50 && !exporter.getFinishedSpans().some((s) => s.name === 'RunWorkflow:syncWorkflow'); i++) await new Promise((r) => setTimeout(r, 100));

    const spans = exporter.getFinishedSpans();
    const names = new Set(spans.map((s) => s.name));
    for (const expected of ['StartWorkflow:syncWorkflow', 'RunWorkflow:syncWorkflow', 'StartActivity:planChanges', 'RunActivity:planChanges', 'RunActivity:applyChunks', 'RunActivity:commitDestination']) {
      assert.ok(names.has(expected), `span ${expected} in ${[...names].join(', ')}`);
    }
    const start = spans.find((s) => s.name === 'StartWorkflow:syncWorkflow')!;
    const traceId = start.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId).map((s) => s.name);
    assert.ok(inTrace.includes('RunActivity:applyChunks') && inTrace.includes('RunWorkflow:syncWorkflow'), 'activities and workflow share the client\'s trace');
    const run = spans.find((s) => s.name === 'RunActivity:planChanges' && s.spanContext().traceId === traceId)!;
    assert.ok(run.parentSpanId, 'the activity span has a parent (its StartActivity)');

    const emails = (await duckdb(warehouse, `SELECT email FROM customers`)).map((r) => String(r.email));
    const text = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })));
    assert.deepEqual(emails.filter((e) => text.includes(e)), []);
  });
});
