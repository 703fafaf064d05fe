import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec';
import { codecKeysFromEnv } from './codec-keys';

/**
 * The data converter every ebb process uses (worker, CLI, demo, tests): payload encryption
 * when `EBB_CODEC_KEYS` or `EBB_CODEC_KEYS_FILE` is set, Temporal's default otherwise. The
 * worker, the clients and the codec server must hold the same keys.
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const ring = codecKeysFromEnv(env);
  return ring ? { payloadCodecs: [new AesGcmCodec(ring)] } : undefined;
}
