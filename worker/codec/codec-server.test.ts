import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec';
import { parseCodecKeys } from './codec-keys';
import { startCodecServer, type CodecServer } from './codec-server';

const UI = 'http://localhost:8233';

describe('codec server', () => {
  const codec = new AesGcmCodec(parseCodecKeys(`k1=${randomBytes(32).toString('base64')}`, 'test'));
  let server: CodecServer;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const auth = { authorization: 'Bearer s3cret-token', origin: UI };

  before(async () => {
    server = await startCodecServer({ codec, token: 's3cret-token', allowedOrigin: UI });
  });
  after(() => server.close());

  it('decodes what the codec encrypted, in the UI\'s JSON shape', async () => {
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload({ sync: 'customers-to-crm' })]);
    const body = { payloads: [{ metadata: Object.fromEntries(Object.entries(sealed.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(sealed.data!).toString('base64') }] };
    const res = await post('/decode', body, { ...auth, 'x-namespace': 'default' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), UI);
    const out = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    assert.equal(Buffer.from(out.payloads[0].metadata.encoding, 'base64').toString(), 'json/plain');
    assert.deepEqual(JSON.parse(Buffer.from(out.payloads[0].data, 'base64').toString()), { sync: 'customers-to-crm' });
  });

  it('encodes, so the UI can send signals and updates encrypted', async () => {
    const plain = defaultPayloadConverter.toPayload('approve');
    const res = await post('/encode', { payloads: [{ metadata: { encoding: Buffer.from(plain.metadata!.encoding!).toString('base64') }, data: Buffer.from(plain.data!).toString('base64') }] }, auth);
    const out = (await res.json()) as { payloads: { metadata: Record<string, string> }[] };
    assert.equal(Buffer.from(out.payloads[0].metadata.encoding, 'base64').toString(), 'binary/encrypted');
  });

  it('refuses a request without the token, or with a wrong one', async () => {
    assert.equal((await post('/decode', { payloads: [] }, { origin: UI })).status, 401);
    assert.equal((await post('/decode', { payloads: [] }, { origin: UI, authorization: 'Bearer wrong-token!' })).status, 401);
  });

  it('refuses any browser origin but the UI\'s, even with the token', async () => {
    const res = await post('/decode', { payloads: [] }, { authorization: 'Bearer s3cret-token', origin: 'http://evil.example' });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  it('answers the UI\'s CORS preflight for its origin', async () => {
    const res = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: UI, 'access-control-request-headers': 'content-type,x-namespace,authorization' } });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), UI);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  });

  it('says what is wrong with a bad body', async () => {
    const res = await post('/decode', { nope: 1 }, auth);
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { message: string }).message, /no "payloads" array/);
  });
});
