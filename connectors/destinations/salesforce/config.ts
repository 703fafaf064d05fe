import { z } from 'zod';
import { secretRefSchema } from '../../../domain/spec/secret-ref';

/**
 * `connection` of a `salesforce` destination. The destination's `object` is the sObject
 * (Contact, Account, Lead__c, …) and its `idField` the External ID field records are matched on.
 * Credentials: an `accessToken`, or a connected app's `clientId` and `clientSecret` for the
 * OAuth 2.0 client-credentials flow (the token is then fetched, and refreshed, on the worker).
 */
export const salesforceDestinationConfigSchema = z
  .strictObject({
    instanceUrl: z.url({ protocol: /^https?$/ }).meta({ description: 'The org, e.g. https://acme.my.salesforce.com; tests point it at a local server.' }),
    accessToken: secretRefSchema.optional().meta({ description: 'An OAuth access token, by reference. Either this, or clientId and clientSecret.' }),
    clientId: secretRefSchema.optional().meta({ description: "The connected app's consumer key (client-credentials flow), by reference." }),
    clientSecret: secretRefSchema.optional().meta({ description: "The connected app's consumer secret (client-credentials flow), by reference." }),
    loginUrl: z.url({ protocol: /^https?$/ }).optional().meta({ description: "Where the token is requested (the org's My Domain URL). Default: instanceUrl." }),
    apiVersion: z.string().regex(/^\d+\.\d$/, 'like "62.0"').default('62.0'),
    bulkThreshold: z.number().int().min(1).default(2_000).meta({
      description: 'Upserts (or updates) of at least this many records in one batch go through one Bulk API 2.0 ingest job; smaller ones through sObject Collections (200 a call).',
    }),
    dailyApiLimit: z.number().int().min(1).optional().meta({
      description: "The org's daily API allocation for the shared budget until Salesforce reports it (every response's Sforce-Limit-Info header).",
    }),
    maxAttempts: z.number().int().min(1).max(10).default(4).meta({ description: 'Tries per API call on 5xx or network errors inside one write.' }),
    bulkPollIntervalMs: z.number().int().min(10).default(2_000).meta({ description: 'How often a Bulk API 2.0 job is polled (it slows down to 5x this on long jobs).' }),
    bulkTimeoutMs: z.number().int().min(1_000).default(30 * 60_000).meta({ description: 'A Bulk API 2.0 job still running after this is aborted and the batch retried.' }),
  })
  .superRefine((c, ctx) => {
    const app = c.clientId !== undefined || c.clientSecret !== undefined;
    if (c.accessToken === undefined && !app) {
      ctx.addIssue({ code: 'custom', path: ['accessToken'], message: 'set accessToken, or clientId and clientSecret for the client-credentials flow' });
    } else if (c.accessToken !== undefined && app) {
      ctx.addIssue({ code: 'custom', path: ['accessToken'], message: 'set either accessToken or clientId and clientSecret, not both' });
    } else if (app) {
      for (const k of ['clientId', 'clientSecret'] as const) {
        if (c[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: `${k} is required with the client-credentials flow` });
      }
    }
  });

/** A validated `salesforce` destination config. */
export type SalesforceDestinationConfig = z.infer<typeof salesforceDestinationConfigSchema>;
