/**
 * The `hubspot` destination: CRM objects (contacts, companies, deals, custom objects) through
 * the official @hubspot/api-client. `object` is the object type; the sync's `idField` is the
 * unique property records are upserted by (`idProperty`). See ./write.ts for the write rules and
 * ./client.ts for the shared rate budget.
 */
import type { Destination, DestinationConnector, ObjectDescription } from '../../types';
import type { HubSpotApi } from './client';
import { hubspotDestinationConfigSchema, type HubSpotDestinationConfig } from './config';
import { readBack, writeBatch } from './write';

/** The `hubspot` destination connector. */
export const hubspotDestination: DestinationConnector<HubSpotDestinationConfig> = {
  kind: 'hubspot',
  configSchema: hubspotDestinationConfigSchema,
  modes: ['upsert', 'update', 'insert', 'mirror'],
  create(config, ctx): Destination {
    let api: Promise<HubSpotApi> | undefined;
    // The token is resolved on first use, on the worker; a failed resolution is not cached.
    const connect = () => {
      // The client library loads on first use, so workers without a HubSpot destination do not carry it.
      api ??= import('./client.js').then((m) => m.connectHubSpot(config, ctx));
      api.catch(() => (api = undefined));
      return api;
    };
    const describe = async (object: string): Promise<ObjectDescription> => {
      const a = await connect();
      const props = await a.call(object, (c) => c.crm.properties.coreApi.getAll(object));
      return {
        object,
        fields: props.results.map((p) => {
          const readOnly = p.modificationMetadata?.readOnlyValue ?? false;
          return {
            name: p.name,
            type: p.type,
            identifier: p.hasUniqueValue === true,
            ...(readOnly ? { createable: false, updateable: false } : {}),
          };
        }),
      };
    };
    return {
      // The properties API answers only for a valid token with the object's scope and an existing object type.
      check: async (object) => void (await describe(object)),
      describe,
      async write(batch) {
        if (batch.records.length === 0) return { results: [] };
        return writeBatch(await connect(), batch);
      },
      readBack: async (request) => readBack(await connect(), request),
      close: async () => undefined,
    };
  },
};

export type { HubSpotDestinationConfig } from './config';
