/**
 * The codec server for the Temporal UI: `npm run codec-server`. Lets operators who hold the
 * payload keys read encrypted payloads in the UI. Point the UI at it with
 * `temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888` (scripts/temporal-dev.sh
 * does when EBB_CODEC_KEYS is set), and set the same token in the UI's codec settings
 * ("pass access token") or put an auth proxy in front.
 *
 *   EBB_CODEC_KEYS / EBB_CODEC_KEYS_FILE   the keys (same as the worker's)
 *   EBB_CODEC_SERVER_TOKEN / _FILE         the bearer token callers must send
 *   EBB_CODEC_SERVER_PORT                  default 8888
 *   EBB_UI_ORIGIN                          default http://localhost:8233
 */
import { readFileSync } from 'node:fs';
import { AesGcmCodec } from '../worker/codec/aes-gcm-codec';
import { codecKeysFromEnv } from '../worker/codec/codec-keys';
import { startCodecServer } from '../worker/codec/codec-server';

async function main(): Promise<void> {
  const ring = codecKeysFromEnv();
  if (!ring) throw new Error('codec server: set EBB_CODEC_KEYS or EBB_CODEC_KEYS_FILE (id=base64key, the worker\'s keys)');
  const token = process.env.EBB_CODEC_SERVER_TOKEN_FILE ? readFileSync(process.env.EBB_CODEC_SERVER_TOKEN_FILE, 'utf8').trim() : process.env.EBB_CODEC_SERVER_TOKEN;
  if (!token) throw new Error('codec server: set EBB_CODEC_SERVER_TOKEN or EBB_CODEC_SERVER_TOKEN_FILE; it never runs open');
  const allowedOrigin = process.env.EBB_UI_ORIGIN ?? 'http://localhost:8233';
  const server = await startCodecServer({ codec: new AesGcmCodec(ring), token, allowedOrigin, port: Number(process.env.EBB_CODEC_SERVER_PORT ?? 8888) });
  console.log(`ebb codec server on ${server.url} for ${allowedOrigin} (active key "${ring.active.id}", ${ring.keys.size} key(s))`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
