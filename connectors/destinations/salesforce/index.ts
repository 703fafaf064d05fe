/**
 * The `salesforce` destination: sObjects through jsforce. `object` is the sObject; the sync's
 * `idField` is the external id field records are upserted by. See ./write.ts for the write
 * rules (Collections or Bulk API 2.0) and ./client.ts for the daily API budget.
 */
import type { Destination, DestinationConnector, ObjectDescription } from '../../types';
import type { SalesforceApi } from './client';
import { salesforceDestinationConfigSchema, type SalesforceDestinationConfig } from './config';
import { readBack, writeBatch } from './write';

/** A field as jsforce's describe returns it (the parts ebb reads). */
interface DescribeField {
  name: string;
  type: string;
  createable: boolean;
  updateable: boolean;
  nillable: boolean;
  externalId: boolean;
  defaultedOnCreate: boolean;
}

/** The `salesforce` destination connector. */
export const salesforceDestination: DestinationConnector<SalesforceDestinationConfig> = {
  kind: 'salesforce',
  configSchema: salesforceDestinationConfigSchema,
  modes: ['upsert', 'update', 'insert', 'mirror'],
  create(config, ctx): Destination {
    let api: Promise<SalesforceApi> | undefined;
    const connect = () => {
      // jsforce loads on first use, so workers without a Salesforce destination do not carry it.
      api ??= import('./client.js').then((m) => m.connectSalesforce(config, ctx));
      api.catch(() => (api = undefined));
      return api;
    };
    const describe = async (object: string): Promise<ObjectDescription> => {
      const a = await connect();
      const d = await a.call(object, (c) => c.sobject(object).describe());
      return {
        object,
        fields: (d.fields as unknown as DescribeField[]).map((f) => ({
          name: f.name,
          type: f.type,
          // Upserts match on an external id field (or the record Id): those are the identifiers.
          identifier: f.externalId || f.name === 'Id',
          required: !f.nillable && f.createable && !f.defaultedOnCreate,
          createable: f.createable,
          updateable: f.updateable,
        })),
      };
    };
    return {
      check: async (object) => void (await describe(object)),
      describe,
      async write(batch) {
        if (batch.records.length === 0) return { results: [] };
        return writeBatch(await connect(), batch, config.bulkThreshold);
      },
      readBack: async (request) => readBack(await connect(), request),
      close: async () => undefined,
    };
  },
};

export type { SalesforceDestinationConfig } from './config';
