import { z } from 'zod';
import { secretRefSchema } from '../../../domain/spec/secret-ref';

/** `connection` of a `salesforce` destination. `object` is the sObject (Contact, Account, Lead__c, …). */
export const salesforceDestinationConfigSchema = z.strictObject({
  instanceUrl: z.url({ protocol: /^https?$/ }).meta({ description: 'The org, e.g. https://acme.my.salesforce.com; tests point it at a local server.' }),
  accessToken: secretRefSchema.meta({ description: 'An OAuth access token (e.g. from a connected app\'s client-credentials flow), by reference.' }),
  apiVersion: z.string().regex(/^\d+\.\d$/, 'like "62.0"').default('62.0'),
  bulkThreshold: z.number().int().min(1).default(2_000).meta({
    description: 'Batches with at least this many records go through Bulk API 2.0 (one ingest job); smaller ones through sObject Collections (200 a call).',
  }),
  dailyApiLimit: z.number().int().min(1).optional().meta({
    description: "The org's daily API allocation, for the shared budget. Default: what Sforce-Limit-Info reports.",
  }),
  maxAttempts: z.number().int().min(1).max(10).default(4).meta({ description: 'Tries per API call on 5xx or network errors inside one write.' }),
});

/** A validated `salesforce` destination config. */
export type SalesforceDestinationConfig = z.infer<typeof salesforceDestinationConfigSchema>;
