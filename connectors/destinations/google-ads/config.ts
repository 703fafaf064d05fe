import { z } from 'zod';
import { secretRefSchema } from '../../../domain/spec/secret-ref';

const accountId = z.string().regex(/^\d{10}$/, 'a Google Ads customer id: 10 digits, no dashes');

/**
 * `connection` of a `google-ads` destination. `object` is the Customer Match user list id.
 * Two paths: the Data Manager API (`api: datamanager`, the default, where Google sends new
 * Customer Match adopters since April 2026), and the Google Ads API's OfflineUserDataJobs
 * (`api: offline-user-data-jobs`, for allowlisted accounts).
 */
export const googleAdsDestinationConfigSchema = z.strictObject({
  api: z.enum(['datamanager', 'offline-user-data-jobs']).default('datamanager'),
  customerId: accountId.meta({ description: 'The Google Ads account that owns the user list (the operating account).' }),
  loginCustomerId: accountId.optional().meta({ description: 'A manager account the credentials act through.' }),
  accessToken: secretRefSchema.optional().meta({ description: 'An OAuth access token with the datamanager (or adwords) scope, by reference.' }),
  serviceAccountKey: secretRefSchema.optional().meta({ description: 'Data Manager: a service-account key JSON, by reference (instead of accessToken).' }),
  developerToken: secretRefSchema.optional().meta({ description: 'OfflineUserDataJobs: the Google Ads developer token, by reference.' }),
  oauth: z
    .strictObject({ clientId: z.string().min(1), clientSecret: secretRefSchema, refreshToken: secretRefSchema })
    .optional()
    .meta({ description: 'OfflineUserDataJobs: the OAuth client and refresh token google-ads-api uses.' }),
  phoneRegion: z.string().regex(/^[A-Z]{2}$/).optional().meta({ description: 'Default region for phone numbers written without a country code.' }),
  rateLimit: z.strictObject({ requests: z.number().int().min(1), perMs: z.number().int().min(100) }).default({ requests: 300, perMs: 60_000 }),
  endpoint: z
    .strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65535), insecure: z.boolean().default(false) })
    .optional()
    .meta({ description: 'Where the gRPC API is (tests: a local server over insecure gRPC).' }),
});

/** A validated `google-ads` destination config. */
export type GoogleAdsDestinationConfig = z.infer<typeof googleAdsDestinationConfigSchema>;
