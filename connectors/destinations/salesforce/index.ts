/**
 * The `salesforce` destination: sObjects through jsforce. `object` is the sObject; the sync's
 * `idField` is the External ID field records are matched on. The object's describe is read once
 * per connection and every batch is checked against it before anything is sent
 * (./describe-check.ts); ./write.ts has the write rules (Collections or Bulk API 2.0) and
 * ./client.ts the daily API budget and the usage read from `Sforce-Limit-Info`.
 */
import type { Destination, DestinationConnector, ObjectDescription } from '../../types';
import type { SalesforceApi } from './client';
import { salesforceDestinationConfigSchema, type SalesforceDestinationConfig } from './config';
import { toFieldInfo, verifyWrite, type SObjectField } from './describe-check';
import { readBack, writeBatch } from './write';

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
    const described = new Map<string, Promise<Map<string, SObjectField>>>();
    /** The object's fields by name, described once per connection. */
    const fieldsOf = (object: string) => {
      let p = described.get(object);
      if (!p) {
        p = connect()
          .then((a) => a.call(object, (c) => c.describe(object)))
          .then((d) => new Map((d.fields as unknown as SObjectField[]).map((f) => [f.name, f])));
        p.catch(() => described.delete(object));
        described.set(object, p);
      }
      return p;
    };
    const describe = async (object: string): Promise<ObjectDescription> => ({ object, fields: [...(await fieldsOf(object)).values()].map(toFieldInfo) });
    return {
      check: async (object) => void (await fieldsOf(object)),
      describe,
      async write(batch) {
        if (batch.records.length === 0) return { results: [] };
        const fields = await fieldsOf(batch.object);
        verifyWrite(batch.object, batch.idField, fields, batch.records);
        return writeBatch(await connect(), batch, fields, {
          bulkThreshold: config.bulkThreshold,
          pollIntervalMs: config.bulkPollIntervalMs,
          timeoutMs: config.bulkTimeoutMs,
        });
      },
      readBack: async (request) => readBack(await connect(), request),
      close: async () => undefined,
    };
  },
};

export type { SalesforceDestinationConfig } from './config';
