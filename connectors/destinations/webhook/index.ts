/**
 * The `webhook` destination: POSTs each batch, signed, to one URL (protocol in ./write.ts).
 * `object` travels in the body, so one receiver can serve several objects.
 */
import { randomUUID } from 'node:crypto';
import type { ConnectorContext, Destination, DestinationConnector } from '../../types';
import { webhookDestinationConfigSchema, type WebhookDestinationConfig } from './config';
import { send, writeBatch, type WebhookTarget } from './write';

/** The `webhook` destination connector. */
export const webhookDestination: DestinationConnector<WebhookDestinationConfig> = {
  kind: 'webhook',
  configSchema: webhookDestinationConfigSchema,
  modes: ['upsert', 'update', 'insert', 'mirror'],
  create(config, ctx): Destination {
    let target: Promise<WebhookTarget> | undefined;
    // Secrets are resolved on first use, on the worker, and kept for this instance only.
    const resolve = () => {
      target ??= resolveTarget(config, ctx);
      target.catch(() => (target = undefined));
      return target;
    };
    return {
      async check(object) {
        const t = await resolve();
        const idempotencyKey = `check:${randomUUID()}`;
        // A single attempt: check() is a probe, the activity retry policy decides about transients.
        await send(t, object, idempotencyKey, JSON.stringify({ object, idField: null, idempotencyKey, records: [] }), 1);
      },
      // A webhook has no schema to describe.
      describe: async (object) => ({ object, fields: [] }),
      async write(batch) {
        if (batch.records.length === 0) return { results: [] };
        return writeBatch(await resolve(), batch);
      },
      close: async () => undefined,
    };
  },
};

async function resolveTarget(config: WebhookDestinationConfig, ctx: ConnectorContext): Promise<WebhookTarget> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.headers ?? {})) {
    headers[name] = typeof value === 'string' ? value : await ctx.resolveSecret(value, `connection.headers.${name}`);
  }
  return {
    url: config.url,
    secret: await ctx.resolveSecret(config.signingSecret, 'connection.signingSecret'),
    headers,
    timeoutMs: config.timeoutMs,
    maxAttempts: config.maxAttempts,
  };
}

export type { WebhookDestinationConfig } from './config';
