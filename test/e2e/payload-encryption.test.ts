/**
 * Payload encryption, end to end: a real sync with the AES-256-GCM codec on the worker and the
 * client. The history an operator exports without the key holds only ciphertext (not even the
 * sync's name), and none of the seeded emails, phones or names in clear or in base64; the
 * official CLI, pointed at ebb's codec server with the token, reads the payloads back; and
 * search attributes, which Temporal never encrypts, carry no PII.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AesGcmCodec } from '../../worker/codec/aes-gcm-codec';
import { parseCodecKeys } from '../../worker/codec/codec-keys';
import { startCodecServer, type CodecServer } from '../../worker/codec/codec-server';
import { createHarness, type Harness } from '../helpers/harness';
import { exportHistoryJson } from '../helpers/history';
import { duckdb } from '../helpers/warehouse';
import { startWebhookReceiver } from '../servers/webhook-receiver';

const SYNC = 'encrypted-people-sync';

/** Every `{ metadata, data }` payload in an exported history JSON. */
function payloadsOf(node: unknown, out: { metadata: Record<string, string>; data?: string }[] = []) {
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && 'encoding' in (o.metadata as object)) out.push(o as never);
    for (const v of Object.values(o)) payloadsOf(v, out);
  }
  return out;
}
const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

describe('payload encryption', () => {
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let codecServer: CodecServer;
  let warehouse: string;
  const codec = new AesGcmCodec(parseCodecKeys(`ops-2026=${randomBytes(32).toString('base64')}`, 'test'));

  before(async () => {
    h = await createHarness({ dataConverter: { payloadCodecs: [codec] } });
    process.env.EBB_ENCRYPTION_TEST_SECRET = 'encryption-test-signing-secret';
    receiver = await startWebhookReceiver({ secret: 'encryption-test-signing-secret' });
    codecServer = await startCodecServer({ codec, token: 'codec-token', allowedOrigin: 'http://localhost:8233' });
    warehouse = path.join(h.dir, 'warehouse.duckdb');
    await duckdb(
      warehouse,
      `CREATE TABLE people AS SELECT i AS id,
         'grace.hopper' || i || '@navy.example' AS email,
         '+1415555' || lpad(i::VARCHAR, 4, '0') AS phone,
         'Gracefirst' || i AS first_name, 'Hopperlast' || i AS last_name
       FROM range(1, 201) t(i)`,
    );
  });
  after(async () => {
    await h?.close();
    await receiver?.close();
    await codecServer?.close();
  });

  it('keeps the exported history ciphertext, readable only through the codec server', async () => {
    const handle = await h.start({
      name: SYNC,
      source: { kind: 'duckdb', connection: { path: warehouse } },
      model: { table: 'people' },
      primaryKey: 'id',
      destinations: [
        {
          name: 'crm',
          kind: 'webhook',
          connection: { url: `${receiver.url}/people`, signingSecret: { env: 'EBB_ENCRYPTION_TEST_SECRET' } },
          object: 'contacts',
          batchSize: 50,
          mapping: { id: 'id', email: 'email', phone: 'phone', first_name: 'first_name', last_name: 'last_name' },
        },
      ],
    });
    const result = await handle.result();
    assert.equal(result.destinations[0].ok, 200, 'the client holding the key reads the result');
    assert.equal(receiver.state.size, 200);

    // Without the key: every payload is sealed, and nothing of the run reads in clear or base64.
    const raw = exportHistoryJson(h.env.address, handle.workflowId, handle.firstExecutionRunId);
    const payloads = payloadsOf(JSON.parse(raw));
    assert.ok(payloads.length > 10, `${payloads.length} payloads in the history`);
    // Search attributes are never encrypted (Temporal indexes them), nor are the SDK's own patch
    // markers (a patch id such as "pre-write-gates") and the tracing header (a W3C traceparent
    // the OpenTelemetry interceptors propagate); every other payload is sealed.
    const unsealedByDesign = new Set(['searchAttributes', 'patch-data', '_tracer-data']);
    const traceHeaders: string[] = [];
    JSON.parse(raw, (k, v: { data?: string }) => {
      if (k === '_tracer-data') traceHeaders.push(b64(v.data ?? ''));
      return v;
    });
    assert.ok(traceHeaders.length > 0, 'the run was traced');
    assert.ok(traceHeaders.every((t) => /^\{("traceparent":"[0-9a-f-]+")?\}$/.test(t)), `trace headers hold only a traceparent: ${traceHeaders.join(' ')}`);
    const outside = payloadsOf(JSON.parse(JSON.stringify(JSON.parse(raw), (k, v: unknown) => (unsealedByDesign.has(k) ? undefined : v))));
    assert.ok(outside.length > 10, `${outside.length} payloads outside search attributes`);
    assert.deepEqual(outside.map((p) => b64(p.metadata.encoding)).filter((e) => e !== 'binary/encrypted'), []);
    const rawDecoded = `${raw}\n${payloads.map((p) => (p.data ? b64(p.data) : '')).join('\n')}`;
    assert.ok(clearOnlyInSearchAttributes(raw, SYNC), 'the sync name is sealed everywhere but in search attributes');
    assert.ok(!rawDecoded.includes('"contacts"'), 'the destination object is sealed');

    // With the key: the official CLI decodes through the codec server, with the token.
    // Asynchronously: the codec server answering the CLI runs in this very process.
    const show = await promisify(execFile)(
      process.env.TEMPORAL_CLI_PATH!,
      ['workflow', 'show', '--address', h.env.address, '--workflow-id', handle.workflowId, '--run-id', handle.firstExecutionRunId, '--output', 'json', '--codec-endpoint', codecServer.url, '--codec-auth', 'Bearer codec-token'],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
    );
    const decodedPayloads = payloadsOf(JSON.parse(show.stdout));
    const decoded = `${show.stdout}\n${decodedPayloads.map((p) => (p.data ? b64(p.data) : '')).join('\n')}`;
    assert.ok(decodedPayloads.every((p) => b64(p.metadata.encoding) !== 'binary/encrypted'), 'every payload decoded');
    assert.ok(decoded.includes('"contacts"') && decoded.includes(SYNC), 'the decoded history shows the run');

    // Neither view holds the seeded PII, in clear or in base64.
    const people = await duckdb(warehouse, `SELECT email, phone, first_name, last_name FROM people`);
    const values = people.flatMap((p) => [p.email, p.phone, p.first_name, p.last_name].map(String));
    for (const haystack of [rawDecoded, decoded]) {
      const leaked = values.filter((v) => haystack.includes(v) || haystack.includes(Buffer.from(v).toString('base64')));
      assert.deepEqual(leaked, []);
    }
  });

  it('puts no PII in search attributes, which are never encrypted', async () => {
    const d = await h.client.workflow.getHandle(`sync/${SYNC}`).describe();
    const attributes = Object.fromEntries(d.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]));
    assert.deepEqual(Object.keys(attributes).filter((k) => k.startsWith('Ebb')).sort(), ['EbbRowsChanged', 'EbbStatus', 'EbbSync']);
    const people = await duckdb(warehouse, `SELECT email, phone, first_name, last_name FROM people`);
    const text = JSON.stringify(attributes);
    const leaked = people.flatMap((p) => Object.values(p).map(String)).filter((v) => text.includes(v));
    assert.deepEqual(leaked, []);
    // What they hold: the sync's name, its status and a count.
    assert.equal(attributes.EbbSync, SYNC);
    assert.equal(attributes.EbbStatus, 'done');
    assert.equal(typeof attributes.EbbRowsChanged, 'number');
  });
});

/**
 * The sync name may appear in clear only in search attributes and in the workflow id
 * (`sync/<name>`): ids and search attributes are what Temporal indexes, never payloads.
 */
function clearOnlyInSearchAttributes(raw: string, name: string): boolean {
  const withoutSearchAttributes = JSON.stringify(JSON.parse(raw), (k, v: unknown) => (k === 'searchAttributes' || k === 'workflowId' ? undefined : v));
  const payloads = payloadsOf(JSON.parse(withoutSearchAttributes));
  return !withoutSearchAttributes.includes(name) && payloads.every((p) => !(p.data && b64(p.data).includes(name)));
}
