import { z } from 'zod';
import { secretRefSchema } from '../../../domain/spec/secret-ref';

/** `connection` of a `hubspot` destination. `object` is the object type: contacts, companies, deals, or a custom object's id (`2-1234567`). */
export const hubspotDestinationConfigSchema = z.strictObject({
  accessToken: secretRefSchema.meta({ description: 'A private-app access token (or OAuth access token), by reference.' }),
  baseUrl: z.url({ protocol: /^https?$/ }).default('https://api.hubapi.com').meta({ description: 'The API origin; tests point it at a local HubSpot-compatible server.' }),
  portalId: z.string().regex(/^\d+$/, 'the HubSpot account (portal) id, digits only').optional().meta({
    description: 'Names the account for the shared rate budget (every sync writing to it shares one). Default: a hash of the token.',
  }),
  rateLimit: z
    .strictObject({ requests: z.number().int().min(1), perMs: z.number().int().min(100) })
    .default({ requests: 190, perMs: 10_000 })
    .meta({ description: "The account's burst limit: HubSpot Professional/Enterprise private apps allow 190 calls per 10 s (Free/Starter 100)." }),
  maxAttempts: z.number().int().min(1).max(20).default(6).meta({ description: 'Tries per API call on 429/5xx inside one write, before the activity retry takes over.' }),
});

/** A validated `hubspot` destination config. */
export type HubSpotDestinationConfig = z.infer<typeof hubspotDestinationConfigSchema>;
