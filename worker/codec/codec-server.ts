import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';

/** Options of {@link startCodecServer}. */
export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Callers must send `Authorization: Bearer <token>`. */
  token: string;
  /** The Temporal UI's origin (e.g. `http://localhost:8233`): the only browser origin served. */
  allowedOrigin: string;
  port?: number;
  host?: string;
}

/** A running codec server. */
export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

/** Payloads as the Temporal UI and CLI send them to a codec endpoint: proto3 JSON, bytes in base64. */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * The codec server behind the Temporal UI's `--ui-codec-endpoint`: `POST /decode` (and
 * `/encode`) with `{ payloads: [...] }`, so operators who hold the key read payloads in the
 * UI while the server only ever stores ciphertext.
 *
 * Two locks, because it hands out plaintext: a bearer token on every request (timing-safe
 * compare), and CORS for exactly the UI's origin; any other browser origin gets 403, so a page
 * elsewhere cannot use an operator's browser to decrypt.
 */
export async function startCodecServer(o: CodecServerOptions): Promise<CodecServer> {
  const expected = Buffer.from(`Bearer ${o.token}`);
  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== o.allowedOrigin) return send(res, 403, { message: `origin ${origin} is not allowed` });
    if (origin) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Namespace');
      res.setHeader('Access-Control-Max-Age', '600');
      return send(res, 204);
    }
    const route = (req.url ?? '').split('?')[0].replace(/\/+$/, '');
    const op = route.endsWith('/decode') ? 'decode' : route.endsWith('/encode') ? 'encode' : undefined;
    if (req.method !== 'POST' || !op) return send(res, 404, { message: 'POST /encode or /decode' });
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return send(res, 401, { message: 'missing or wrong bearer token' });
    readBody(req)
      .then(async (body) => {
        const payloads = parsePayloads(body);
        const out = op === 'decode' ? await o.codec.decode(payloads) : await o.codec.encode(payloads);
        send(res, 200, { payloads: out.map(toJson) });
      })
      .catch((err: Error) => send(res, 400, { message: err.message }));
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function send(res: http.ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, body === undefined ? {} : { 'Content-Type': 'application/json' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function parsePayloads(body: string): Payload[] {
  let parsed: { payloads?: JsonPayload[] };
  try {
    parsed = JSON.parse(body) as { payloads?: JsonPayload[] };
  } catch {
    throw new Error('body is not JSON');
  }
  if (!Array.isArray(parsed.payloads)) throw new Error('body has no "payloads" array');
  return parsed.payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  }));
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}
