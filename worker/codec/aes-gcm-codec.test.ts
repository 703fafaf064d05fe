import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from './aes-gcm-codec';
import { CodecKeyError, codecKeysFromEnv, parseCodecKeys } from './codec-keys';

const key = () => randomBytes(32).toString('base64');
const text = (b?: Uint8Array | null) => new TextDecoder().decode(b ?? new Uint8Array());
const payload = (v: unknown) => defaultPayloadConverter.toPayload(v);

describe('AES-256-GCM payload codec', () => {
  const k1 = key();
  const k2 = key();

  it('round-trips a payload, and the ciphertext holds neither the value nor its encoding', async () => {
    const codec = new AesGcmCodec(parseCodecKeys(`k1=${k1}`, 'test'));
    const original = payload({ sync: 'customers-to-crm', email: 'ada@example.com' });
    const [sealed] = await codec.encode([original]);
    assert.equal(text(sealed.metadata?.encoding), ENCRYPTED_ENCODING);
    assert.equal(text(sealed.metadata?.[KEY_ID_METADATA]), 'k1');
    const raw = Buffer.from(sealed.data!).toString('latin1');
    assert.ok(!raw.includes('ada@example.com') && !raw.includes('json/plain'));
    const [opened] = await codec.decode([sealed]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(opened), { sync: 'customers-to-crm', email: 'ada@example.com' });
  });

  it('uses a fresh IV per payload: the same value encrypts differently', async () => {
    const codec = new AesGcmCodec(parseCodecKeys(`k1=${k1}`, 'test'));
    const [a, b] = await codec.encode([payload('same'), payload('same')]);
    assert.notDeepEqual(Buffer.from(a.data!), Buffer.from(b.data!));
  });

  it('rotates: a ring with the new key first still decrypts what the old key wrote, and encrypts with the new one', async () => {
    const [old] = await new AesGcmCodec(parseCodecKeys(`k1=${k1}`, 'test')).encode([payload('before rotation')]);
    const rotated = new AesGcmCodec(parseCodecKeys(`k2=${k2},k1=${k1}`, 'test'));
    assert.equal(defaultPayloadConverter.fromPayload((await rotated.decode([old]))[0]), 'before rotation');
    const [fresh] = await rotated.encode([payload('after')]);
    assert.equal(text(fresh.metadata?.[KEY_ID_METADATA]), 'k2');
  });

  it('names the missing key id when the ring lacks it', async () => {
    const [old] = await new AesGcmCodec(parseCodecKeys(`k1=${k1}`, 'test')).encode([payload('x')]);
    await assert.rejects(new AesGcmCodec(parseCodecKeys(`k2=${k2}`, 'test')).decode([old]), /key "k1", which this process does not hold \(it has k2\)/);
  });

  it('refuses a tampered payload, and a different key under the same id', async () => {
    const codec = new AesGcmCodec(parseCodecKeys(`k1=${k1}`, 'test'));
    const [sealed] = await codec.encode([payload('x')]);
    const data = Buffer.from(sealed.data!);
    data[data.length - 20] ^= 1;
    await assert.rejects(codec.decode([{ ...sealed, data }]), /failed authentication/);
    await assert.rejects(new AesGcmCodec(parseCodecKeys(`k1=${k2}`, 'test')).decode([sealed]), /failed authentication/);
  });

  it('passes unencrypted payloads through decode (histories from before encryption stay readable)', async () => {
    const codec = new AesGcmCodec(parseCodecKeys(`k1=${k1}`, 'test'));
    const plain = payload('old');
    assert.deepEqual(await codec.decode([plain]), [plain]);
  });
});

describe('codec keys from the environment', () => {
  it('is off when no key is set', () => assert.equal(codecKeysFromEnv({}), undefined));

  it('rejects a short key, naming the variable and id but not the material', () => {
    const short = randomBytes(16).toString('base64');
    assert.throws(
      () => codecKeysFromEnv({ EBB_CODEC_KEYS: `k1=${short}` }),
      (e: Error) => e instanceof CodecKeyError && /EBB_CODEC_KEYS: key "k1" is 16 bytes/.test(e.message) && !e.message.includes(short),
    );
  });

  it('rejects a missing id and a duplicate id', () => {
    // many random keys: with and without "+" or "/" in them, a bare key never passes as id=key
    for (let i = 0; i < 200; i++) {
      const bare = key();
      assert.throws(() => parseCodecKeys(bare, 'EBB_CODEC_KEYS'), (e: Error) => /key 1 is not id=base64key/.test(e.message) && !e.message.includes(bare.slice(0, 20)));
    }
    const k = key();
    assert.throws(() => parseCodecKeys(`a=${k},a=${k}`, 'EBB_CODEC_KEYS'), /"a" appears twice/);
  });

  it('names an unreadable key file', () => {
    assert.throws(() => codecKeysFromEnv({ EBB_CODEC_KEYS_FILE: '/nonexistent/keys' }), /EBB_CODEC_KEYS_FILE: cannot read \/nonexistent\/keys \(ENOENT\)/);
  });
});
