import { z } from 'zod';
import { secretRefSchema } from '../../../domain/spec/secret-ref';

// Headers that carry credentials must come from a secret reference, never from the spec itself.
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie|x-api-key|api-key|x-auth-token)$/i;
// Set by the protocol on every request; a config cannot override them.
const PROTOCOL_HEADER = /^(content-type|idempotency-key|x-ebb-signature|content-length|host)$/i;

const headersSchema = z
  .record(z.string().min(1), z.union([z.string(), secretRefSchema]))
  .superRefine((headers, ctx) => {
    for (const [name, value] of Object.entries(headers)) {
      if (PROTOCOL_HEADER.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `${name} is set by ebb's webhook protocol; remove it` });
      else if (typeof value === 'string' && CREDENTIAL_HEADER.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'a credential header must be a secret reference, { env: NAME } or { file: PATH }; inline secrets are refused' });
      }
    }
  });

/** `connection` of a `webhook` destination. */
export const webhookDestinationConfigSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .refine((u) => {
      const parsed = new URL(u);
      return parsed.username === '' && parsed.password === '';
    }, 'credentials in the URL are inline secrets; send them in `headers` by secret reference')
    .meta({ description: 'Every batch is POSTed here.' }),
  signingSecret: secretRefSchema.meta({ description: 'HMAC-SHA256 key for the X-Ebb-Signature header, by reference.' }),
  headers: headersSchema.optional().meta({ description: 'Extra request headers; values are strings or secret references (required for credentials).' }),
  timeoutMs: z.number().int().positive().max(300_000).default(30_000).meta({ description: 'Per request.' }),
  maxAttempts: z.number().int().min(1).max(10).default(3).meta({ description: 'Tries per batch inside one write, before the activity retry takes over.' }),
});

/** A validated `webhook` destination config. */
export type WebhookDestinationConfig = z.infer<typeof webhookDestinationConfigSchema>;
