/**
 * The connector's door to HubSpot: the official @hubspot/api-client, with ebb's policy around
 * each call — take from the account's shared request budget first; on 429 tell the budget (so
 * every sync and worker on the account slows down) and try again; on 5xx back off and try
 * again; anything else is thrown as the client library raised it. The library's own retries
 * and limiter are off, so this is the only policy.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@hubspot/api-client';
import type { ConnectorContext, RateLimit } from '../../types';
import type { HubSpotDestinationConfig } from './config';
import { isApiFailure, retryAfterMs, toEbbError } from './errors';

/** A HubSpot client bound to one account, with the call policy above. */
export interface HubSpotApi {
  client: Client;
  /** The budget key of the account: `hubspot:<portal>`, or a hash of the token. */
  account: string;
  /**
   * Runs one API call under the policy; `objectType` names the object in errors. Statuses in
   * `passThrough` are rethrown as the library's exception (the caller handles them, e.g. 409).
   */
  call<T>(objectType: string, fn: (client: Client) => Promise<T>, passThrough?: readonly number[]): Promise<T>;
}

/** Resolves the token (on first use, on the worker) and builds the client. */
export async function connectHubSpot(config: HubSpotDestinationConfig, ctx: ConnectorContext): Promise<HubSpotApi> {
  const accessToken = await ctx.resolveSecret(config.accessToken, 'connection.accessToken');
  const client = new Client({ accessToken, basePath: config.baseUrl.replace(/\/$/, ''), numberOfApiCallRetries: 0 });
  const account = `hubspot:${config.portalId ?? createHash('sha256').update(accessToken).digest('hex').slice(0, 12)}`;
  const limit: RateLimit = config.rateLimit;
  return {
    client,
    account,
    async call(objectType, fn, passThrough = []) {
      for (let attempt = 1; ; attempt++) {
        await ctx.budget?.take(account, limit);
        try {
          return await fn(client);
        } catch (err) {
          const status = isApiFailure(err) ? err.code : undefined;
          if (status !== undefined && passThrough.includes(status)) throw err;
          const retryable = status === 429 || (status !== undefined && status >= 500) || (status === undefined && !(err instanceof TypeError && /Invalid URL/.test(err.message)));
          if (!retryable || attempt >= config.maxAttempts) throw toEbbError(err, { objectType });
          if (status === 429) {
            const wait = retryAfterMs(isApiFailure(err) ? err.headers : {});
            // With a budget, the wait is shared: the next take() waits for everyone.
            if (ctx.budget) await ctx.budget.penalize(account, wait);
            else await sleep(wait);
          } else {
            await sleep(Math.min(200 * 2 ** attempt, 10_000));
          }
        }
      }
    },
  };
}
