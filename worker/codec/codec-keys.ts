import { readFileSync } from 'node:fs';

/** One AES-256 key and the id recorded next to every payload it encrypts. */
export interface CodecKey {
  id: string;
  key: Buffer;
}

/** The keys a process holds: the first encrypts, all of them decrypt (rotation). */
export interface CodecKeyRing {
  active: CodecKey;
  keys: ReadonlyMap<string, CodecKey>;
}

/** A bad key setting: names the variable and what is wrong, never the key material. */
export class CodecKeyError extends Error {
  override name = 'CodecKeyError';
}

/**
 * Parses `id=base64key[,id=base64key…]`. The first key is the active one; the others stay
 * for decrypting what older keys wrote, which is how keys rotate without a re-encrypt:
 * put the new key first, keep the old one until the histories it wrote have aged out.
 */
export function parseCodecKeys(text: string, source: string): CodecKeyRing {
  const entries = text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new CodecKeyError(`${source}: no keys; expected id=base64key[,id=base64key…]`);
  const keys = new Map<string, CodecKey>();
  const ordered: CodecKey[] = [];
  for (const [i, entry] of entries.entries()) {
    // `id=key`: a bare base64 key ends in "=" padding, so the key part must be non-empty too;
    // without the id the message must not echo the entry, which would be key material.
    const m = /^([A-Za-z0-9._-]{1,64})\s*=\s*(\S.*)$/.exec(entry);
    if (!m) throw new CodecKeyError(`${source}: key ${i + 1} is not id=base64key (an id of letters, digits, . _ -, then "=", then the key)`);
    const id = m[1];
    const key = Buffer.from(m[2].trim(), 'base64');
    if (key.length !== 32) throw new CodecKeyError(`${source}: key "${id}" is ${key.length} bytes after base64 decoding; AES-256 needs 32 (openssl rand -base64 32)`);
    if (keys.has(id)) throw new CodecKeyError(`${source}: key id "${id}" appears twice`);
    const k = { id, key };
    keys.set(id, k);
    ordered.push(k);
  }
  return { active: ordered[0], keys };
}

/**
 * The key ring from the environment: `EBB_CODEC_KEYS` (the value) or `EBB_CODEC_KEYS_FILE`
 * (a secret file holding it). Undefined when neither is set: payloads are not encrypted.
 */
export function codecKeysFromEnv(env: NodeJS.ProcessEnv = process.env): CodecKeyRing | undefined {
  if (env.EBB_CODEC_KEYS_FILE) {
    let text: string;
    try {
      text = readFileSync(env.EBB_CODEC_KEYS_FILE, 'utf8');
    } catch (err) {
      throw new CodecKeyError(`EBB_CODEC_KEYS_FILE: cannot read ${env.EBB_CODEC_KEYS_FILE} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return parseCodecKeys(text, 'EBB_CODEC_KEYS_FILE');
  }
  if (env.EBB_CODEC_KEYS) return parseCodecKeys(env.EBB_CODEC_KEYS, 'EBB_CODEC_KEYS');
  return undefined;
}
