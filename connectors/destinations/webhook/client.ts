import { createHmac } from 'node:crypto';

/** What came back from the receiver. */
export interface WebhookResponse {
  status: number;
  retryAfter: string | null;
  body: string;
}

/** One signed POST. */
export interface SignedPost {
  url: string;
  body: string;
  secret: string;
  idempotencyKey: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export function signature(secret: string, body: string, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** POSTs once, signed at send time. Network failures and timeouts are thrown as they come. */
export async function postSigned(p: SignedPost): Promise<WebhookResponse> {
  const res = await fetch(p.url, {
    method: 'POST',
    headers: {
      ...p.headers,
      'Content-Type': 'application/json',
      'Idempotency-Key': p.idempotencyKey,
      'X-Ebb-Signature': signature(p.secret, p.body),
    },
    body: p.body,
    signal: AbortSignal.timeout(p.timeoutMs),
    redirect: 'error',
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
}
