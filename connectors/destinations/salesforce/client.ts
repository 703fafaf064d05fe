/**
 * The connector's door to Salesforce: a jsforce Connection (access token, or the OAuth 2.0
 * client-credentials flow with automatic re-issue on expiry) with ebb's policy around each call:
 * take from the org's shared daily budget first, retry 5xx and network errors in place when the
 * call is safe to repeat, and read API usage from the `Sforce-Limit-Info` header of every
 * response — REST, Bulk API 2.0 and SOQL alike — by watching jsforce's transport.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from 'jsforce';
import type { ConnectorContext } from '../../types';
import type { SalesforceDestinationConfig } from './config';
import { isTransient, LIMIT_EXCEEDED_RETRY_MS, toEbbError, type CallSite } from './errors';

/** API usage as the org last reported it: calls used in the rolling 24 h, and the allocation. */
export interface ApiUsage {
  used: number;
  limit: number;
}

/** Options of one {@link SalesforceApi.call}. */
export interface CallOptions {
  /** API requests the call makes (default 1). */
  cost?: number;
  /** False for calls that must not be repeated blindly (a Bulk job's upload): one try. */
  idempotent?: boolean;
}

/** A connection bound to one org, with the call policy above. */
export interface SalesforceApi {
  conn: Connection;
  /** Budget key of the org: `salesforce:<instance host>`. */
  account: string;
  /** Runs one API call under the policy; `object` names the sObject in errors. */
  call<T>(object: string, fn: (conn: Connection) => Promise<T>, options?: CallOptions): Promise<T>;
  /** The last `Sforce-Limit-Info` seen. */
  usage(): ApiUsage | undefined;
}

const DAY_MS = 86_400_000;
/** A re-issued token refused again this soon is not an expiry: stop re-issuing (jsforce would loop). */
const MIN_REISSUE_MS = 10_000;

/** Resolves the credentials (on the worker, at first use) and opens the connection. */
export async function connectSalesforce(config: SalesforceDestinationConfig, ctx: ConnectorContext): Promise<SalesforceApi> {
  const instanceUrl = config.instanceUrl.replace(/\/$/, '');
  const account = `salesforce:${new URL(instanceUrl).host}`;
  const auth: CallSite['auth'] = config.accessToken ? 'accessToken' : 'clientCredentials';
  let lastUsage: ApiUsage | undefined;
  const site = (object: string): CallSite => ({ object, auth, usage: lastUsage && `${lastUsage.used}/${lastUsage.limit} API calls used in the last 24 h` });

  let conn: Connection;
  if (config.accessToken) {
    conn = new Connection({ instanceUrl, accessToken: await ctx.resolveSecret(config.accessToken, 'connection.accessToken'), version: config.apiVersion });
  } else {
    const [clientId, clientSecret] = await Promise.all([
      ctx.resolveSecret(config.clientId, 'connection.clientId'),
      ctx.resolveSecret(config.clientSecret, 'connection.clientSecret'),
    ]);
    let reissuedAt = 0;
    conn = new Connection({
      oauth2: { loginUrl: (config.loginUrl ?? instanceUrl).replace(/\/$/, ''), clientId, clientSecret },
      instanceUrl,
      version: config.apiVersion,
      // Client-credentials tokens expire with the session timeout and come with no refresh
      // token: jsforce calls this on a 401 and retries the request with a fresh token.
      refreshFn: (c, done) => {
        if (Date.now() - reissuedAt < MIN_REISSUE_MS) return done(new Error('the org refused a token it had just issued'));
        reissuedAt = Date.now();
        c.oauth2.requestToken({ grant_type: 'client_credentials' }).then(
          (res) => done(null, res.access_token, res),
          (err: Error) => done(err),
        );
      },
    });
    try {
      await conn.authorize({ grant_type: 'client_credentials' });
    } catch (err) {
      throw toEbbError(err, site('(token request)'));
    }
  }
  watchRequests(conn, (u) => (lastUsage = u));

  return {
    conn,
    account,
    usage: () => lastUsage,
    async call(object, fn, options = {}) {
      const attempts = options.idempotent === false ? 1 : config.maxAttempts;
      for (let attempt = 1; ; attempt++) {
        // The org's own figure wins; the configured one covers the first call of a worker.
        const allocation = lastUsage?.limit ?? config.dailyApiLimit;
        if (allocation && ctx.budget) await ctx.budget.take(account, { requests: allocation, perMs: DAY_MS }, options.cost ?? 1);
        try {
          return await fn(conn);
        } catch (err) {
          const failure = toEbbError(err, site(object));
          // Every sync writing to this org stops calling it, not only this one.
          if (failure.kind === 'rateLimit') await ctx.budget?.penalize(account, LIMIT_EXCEEDED_RETRY_MS);
          if (!isTransient(err) || attempt >= attempts) throw failure;
          await sleep(Math.min(250 * 2 ** attempt, 10_000));
        }
      }
    },
  };
}

/** No answer after this long is a transient failure (jsforce's own default is 30 minutes). */
const REQUEST_TIMEOUT_MS = 10 * 60_000;

/**
 * Every HTTP request of the connection passes here. It reads `Sforce-Limit-Info: api-usage=N/M`
 * from every response: jsforce records it only for its REST requests (`conn.limitInfo`), not for
 * Bulk API 2.0's. And it turns off jsforce's own retries (5 for GET/PUT/DELETE, none for PATCH),
 * so that {@link SalesforceApi.call} is the one retry policy and each try is taken from the budget.
 */
function watchRequests(conn: Connection, seen: (u: ApiUsage) => void): void {
  const transport = conn._transport;
  const send = transport.httpRequest.bind(transport);
  transport.httpRequest = (req, options) => {
    const pending = send(req, { ...options, retry: { maxRetries: 0 }, timeout: REQUEST_TIMEOUT_MS });
    pending.then(
      (res) => {
        const header = res?.headers?.['sforce-limit-info'];
        const m = /api-usage=(\d+)\/(\d+)/.exec(Array.isArray(header) ? header.join(',') : String(header ?? ''));
        if (m) seen({ used: Number(m[1]), limit: Number(m[2]) });
      },
      () => undefined,
    );
    return pending;
  };
}
