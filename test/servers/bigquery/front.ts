/**
 * The BigQuery REST front door, in front of goccy's emulator (which answers every request as
 * if it were authorized). It does what Google's front end does before a request reaches
 * BigQuery, with the same status codes, bodies and headers:
 *
 * - authentication: a Bearer token must be a JWT signed (RS256) by a known service-account
 *   key, unexpired, scoped for BigQuery; else 401 `required` / `authError`;
 * - authorization: datasets marked denied answer 403 `accessDenied`;
 * - faults on demand: the next n matching requests answer 503 `backendError`, 403
 *   `rateLimitExceeded` or 429, so retries are exercised against real pages.
 *
 * Everything else is forwarded to the emulator unchanged, and every forwarded request is
 * recorded (method, path, query) so tests can assert what the client asked for.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the front forwarded. */
export interface ForwardedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
}

/** A fault to answer instead of forwarding. */
export interface Fault {
  status: 403 | 429 | 500 | 503;
  reason: 'backendError' | 'rateLimitExceeded' | 'internalError';
  /** Which requests it hits; all when absent. */
  match?: (req: ForwardedRequest) => boolean;
}

/** A running front. */
export interface BigqueryFront {
  url: string;
  /** Requests forwarded to the emulator, in order. */
  forwarded: ForwardedRequest[];
  /** Trust tokens signed by this key for this service-account email. */
  trust(email: string, publicKeyPem: string): void;
  /** Answer 403 accessDenied to anything touching this dataset. */
  deny(dataset: string): void;
  /** Answer the next `count` matching requests with `fault`. */
  failNext(count: number, fault: Fault): void;
  /** Drops faults not yet answered. */
  clearFaults(): void;
  close(): Promise<void>;
}

const BIGQUERY_SCOPE = 'https://www.googleapis.com/auth/bigquery';

function errorBody(code: number, status: string, reason: string, message: string, extra: Record<string, string> = {}): string {
  return JSON.stringify({ error: { code, message, errors: [{ message, domain: 'global', reason, ...extra }], status } });
}

function b64json(part: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Why a bearer token is refused, or undefined when it is good. */
function tokenProblem(header: string | undefined, keys: Map<string, KeyObject>): 'required' | 'authError' | undefined {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return 'required';
  const parts = m[1].split('.');
  if (parts.length !== 3) return 'authError';
  const [h, p, sig] = parts;
  const head = b64json(h);
  const claims = b64json(p);
  if (head?.alg !== 'RS256' || !claims) return 'authError';
  const key = typeof claims.iss === 'string' ? keys.get(claims.iss) : undefined;
  if (!key || !verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url'))) return 'authError';
  const now = Date.now() / 1000;
  if (typeof claims.exp !== 'number' || claims.exp < now) return 'authError';
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  if (!scopes.includes(BIGQUERY_SCOPE) && claims.aud !== 'https://bigquery.googleapis.com/') return 'authError';
  return undefined;
}

/** Starts a front on 127.0.0.1 forwarding to the emulator at `upstream`. */
export async function startBigqueryFront(upstream: string): Promise<BigqueryFront> {
  const keys = new Map<string, KeyObject>();
  const denied = new Set<string>();
  const faults: { left: number; fault: Fault }[] = [];
  const forwarded: ForwardedRequest[] = [];
  const target = new URL(upstream);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://front');
      const seen: ForwardedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams };
      const answer = (status: number, text: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
        res.end(text);
      };
      const problem = tokenProblem(req.headers.authorization, keys);
      if (problem === 'required') {
        return answer(401, errorBody(401, 'UNAUTHENTICATED', 'required', 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.', { location: 'Authorization', locationType: 'header' }), { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' });
      }
      if (problem) {
        return answer(401, errorBody(401, 'UNAUTHENTICATED', 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', { location: 'Authorization', locationType: 'header' }), { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' });
      }
      const text = `${url.pathname} ${body.toString('utf8')}`;
      const hit = [...denied].find((d) => text.includes(`/datasets/${d}`) || new RegExp(`[\\s\`.:]${d}\\.`).test(text));
      if (hit) {
        const what = `Access Denied: Dataset ${hit}: Permission bigquery.tables.getData denied on dataset ${hit} (or it may not exist).`;
        return answer(403, errorBody(403, 'PERMISSION_DENIED', 'accessDenied', what));
      }
      const slot = faults.find((f) => f.left > 0 && (!f.fault.match || f.fault.match(seen)));
      if (slot) {
        slot.left--;
        const { status, reason } = slot.fault;
        const message = reason === 'rateLimitExceeded' ? 'Exceeded rate limits: too many api requests per user per method for this user_method.' : 'The service is currently unavailable.';
        return answer(status, errorBody(status, status === 503 ? 'UNAVAILABLE' : status === 500 ? 'INTERNAL' : 'RESOURCE_EXHAUSTED', reason, message), status === 429 ? { 'retry-after': '1' } : {});
      }
      forwarded.push(seen);
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      delete headers.authorization;
      const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      });
      up.on('error', () => answer(502, errorBody(502, 'UNAVAILABLE', 'backendError', 'Bad gateway.')));
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    trust: (email, pem) => keys.set(email, createPublicKey(pem)),
    deny: (dataset) => denied.add(dataset),
    failNext: (count, fault) => faults.push({ left: count, fault }),
    clearFaults: () => faults.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
