/**
 * The connector's door to Salesforce: jsforce's Connection with ebb's policy around each call —
 * take from the org's shared daily budget first, retry 5xx and network errors in place, and
 * read API usage from `Sforce-Limit-Info` (jsforce parses it into `limitInfo`) after each call.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from 'jsforce';
import type { ConnectorContext } from '../../types';
import type { SalesforceDestinationConfig } from './config';
import { isTransient, toEbbError } from './errors';

/** API usage as the org last reported it. */
export interface ApiUsage {
  used: number;
  limit: number;
}

/** A connection bound to one org, with the call policy above. */
export interface SalesforceApi {
  conn: Connection;
  /** Budget key of the org: `salesforce:<instance host>`. */
  account: string;
  /** Runs one API call (`cost` API requests) under the policy; `object` names the sObject in errors. */
  call<T>(object: string, fn: (conn: Connection) => Promise<T>, cost?: number): Promise<T>;
  /** The last `Sforce-Limit-Info` seen. */
  usage(): ApiUsage | undefined;
}

const DAY_MS = 86_400_000;

/** Resolves the token (on first use, on the worker) and opens the connection. */
export async function connectSalesforce(config: SalesforceDestinationConfig, ctx: ConnectorContext): Promise<SalesforceApi> {
  const accessToken = await ctx.resolveSecret(config.accessToken, 'connection.accessToken');
  const conn = new Connection({ instanceUrl: config.instanceUrl.replace(/\/$/, ''), accessToken, version: config.apiVersion });
  const account = `salesforce:${new URL(config.instanceUrl).host}`;
  const usage = (): ApiUsage | undefined => (conn.limitInfo as { apiUsage?: ApiUsage }).apiUsage;
  return {
    conn,
    account,
    usage,
    async call(object, fn, cost = 1) {
      const allocation = config.dailyApiLimit ?? usage()?.limit;
      for (let attempt = 1; ; attempt++) {
        if (allocation && ctx.budget) await ctx.budget.take(account, { requests: allocation, perMs: DAY_MS }, cost);
        try {
          return await fn(conn);
        } catch (err) {
          const u = usage();
          if (!isTransient(err) || attempt >= config.maxAttempts) throw toEbbError(err, { object, usage: u ? `${u.used}/${u.limit} calls used today` : undefined });
          await sleep(Math.min(250 * 2 ** attempt, 10_000));
        }
      }
    },
  };
}
