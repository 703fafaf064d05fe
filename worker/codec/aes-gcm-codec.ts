import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { CodecKeyRing } from './codec-keys';

/** The encoding an encrypted payload carries, so decoders know to decrypt it. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key that encrypted a payload (never the key itself). */
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : undefined);

/**
 * Encrypts every Temporal payload with AES-256-GCM: the whole payload (metadata and data) is
 * serialized and sealed, so even the original encoding is hidden; the key id rides in clear
 * metadata so a process holding several keys (rotation) picks the right one. Defence in depth:
 * ebb keeps rows out of history anyway; this hides sync names, object names and counts too.
 *
 * Payloads that are not encrypted pass through decode unchanged, so histories written before
 * encryption was turned on stay readable.
 */
export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly ring: CodecKeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.ring.active;
    return payloads.map((p) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(id), [CIPHER_METADATA]: utf8(CIPHER) },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (text(p.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return p;
      const id = text(p.metadata?.[KEY_ID_METADATA]) ?? '';
      const k = this.ring.keys.get(id);
      if (!k) {
        throw new Error(`payload was encrypted with key "${id}", which this process does not hold (it has ${[...this.ring.keys.keys()].join(', ')}); add it to EBB_CODEC_KEYS`);
      }
      const data = Buffer.from(p.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new Error(`encrypted payload (key "${id}") is truncated`);
      const decipher = createDecipheriv('aes-256-gcm', k.key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        // GCM authentication failed: the payload was altered or the key under this id changed.
        throw new Error(`encrypted payload (key "${id}") failed authentication: altered, or a different key under the same id`);
      }
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}
