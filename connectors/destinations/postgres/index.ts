/**
 * The `postgres` destination: writes to a table, one set-based statement per batch. `object`
 * is a table name, optionally schema-qualified (`crm.contacts`); `idField` must be its primary
 * key or a unique column, so that upserts are idempotent.
 */
import { authError, configError } from '../../../domain/errors';
import type { Destination, DestinationConnector, ObjectDescription } from '../../types';
import { createPgClient, type TableMeta } from './client';
import { postgresDestinationConfigSchema, type PostgresDestinationConfig } from './config';
import { toEbbError } from './errors';
import { readBack } from './read-back';
import { displayName, writeBatch } from './write';

/** The `postgres` destination connector. */
export const postgresDestination: DestinationConnector<PostgresDestinationConfig> = {
  kind: 'postgres',
  configSchema: postgresDestinationConfigSchema,
  modes: ['upsert', 'update', 'insert', 'mirror'],
  create(config, ctx): Destination {
    const client = createPgClient(config, ctx);
    // Table metadata is read once per destination instance (one activity), not once per batch.
    const tables = new Map<string, Promise<TableMeta>>();

    const table = (object: string): Promise<TableMeta> => {
      let t = tables.get(object);
      if (!t) {
        t = loadTable(object);
        tables.set(object, t);
        t.catch(() => tables.delete(object));
      }
      return t;
    };

    const loadTable = async (object: string): Promise<TableMeta> => {
      const { schema, name } = splitObject(object, config.schema);
      const site = { table: `${schema}.${name}`, server: client.server() };
      const meta = await client.readTable(schema, name).catch((err: unknown) => {
        throw toEbbError(err, { ...site, server: client.server() });
      });
      if (!meta) throw configError(`table ${site.table} does not exist in database; create it or fix \`object\``, { path: `table ${site.table}` });
      return meta;
    };

    return {
      async check(object) {
        const t = await table(object);
        if (!t.canInsert || !t.canUpdate) {
          throw authError(`the database user may not INSERT and UPDATE table ${displayName(t)}; GRANT INSERT, UPDATE (and DELETE for mirror mode) on it`, {
            path: `table ${displayName(t)}`,
          });
        }
      },
      async describe(object): Promise<ObjectDescription> {
        const t = await table(object);
        return {
          object,
          fields: t.columns.map((c) => ({ name: c.name, type: c.type, identifier: c.unique, required: c.notNull && !c.hasDefault })),
        };
      },
      async write(batch) {
        if (batch.records.length === 0) return { results: [] };
        return writeBatch(client, await table(batch.object), batch);
      },
      async readBack(request) {
        const t = await table(request.object);
        return readBack(client, t, request).catch((err: unknown) => {
          throw toEbbError(err, { table: displayName(t), server: client.server() });
        });
      },
      close: () => client.close(),
    };
  },
};

/** `schema.table` or `table` (in the configured schema). Names are taken as written: case matters. */
function splitObject(object: string, defaultSchema: string): { schema: string; name: string } {
  const dot = object.indexOf('.');
  return dot === -1 ? { schema: defaultSchema, name: object } : { schema: object.slice(0, dot), name: object.slice(dot + 1) };
}

export type { PostgresDestinationConfig } from './config';
