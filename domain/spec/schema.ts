import { z } from 'zod';
import { alertKinds } from '../alerts';
import { policySchema } from '../policy/schema';
import { SYNC_LOG_TABLE_PATTERN } from '../sync-log';
import { capturesBeforeImages, safetyFields } from './safety';
import { secretRefSchema } from './secret-ref';

/**
 * The sync spec: one YAML file per sync under `syncs/`. This zod schema is the single source
 * of truth: the TypeScript types are inferred from it and `npm run schema` writes the JSON
 * Schema editors use for completion (`syncs/sync-spec.schema.json`).
 *
 * Connector settings (`connection`) are validated by each connector's own schema: see
 * `connectors/spec-validation.ts`, which reports their paths in the same way.
 */

const identifier = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*$/, 'use lowercase letters, digits, "-" and "_", starting with a letter');

/** The transforms a mapping can apply, in order, to a value. */
export const transformNames = ['trim', 'lowercase', 'uppercase', 'string', 'number', 'boolean', 'iso_timestamp', 'e164', 'sha256'] as const;
export type TransformName = (typeof transformNames)[number];

const transforms = z.array(z.enum(transformNames)).optional().meta({
  description: 'Transforms applied in order: trim, lowercase, uppercase, string, number, boolean, iso_timestamp, e164 (phone numbers), sha256.',
});

/** For `e164`: the region of numbers written without a country code, fixed or from a column. */
const phoneRegion = {
  region: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code, e.g. US').optional().meta({ description: 'Default region for e164.' }),
  regionColumn: z.string().min(1).optional().meta({ description: 'A column holding each row\'s country code for e164 (falls back to region).' }),
};

/** An IANA time zone the runtime knows, e.g. `Europe/Berlin`. */
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'an IANA time zone, e.g. UTC or Europe/Berlin');

/** How a date or timestamp value is written: the destination's expected shape and zone. */
const dateFormatting = {
  format: z.enum(['date', 'datetime', 'unix', 'unix_ms']).optional().meta({
    description: 'Write a date/timestamp as: date (YYYY-MM-DD), datetime (ISO 8601 with the zone\'s offset), unix (seconds), unix_ms (milliseconds). Applied after transforms.',
  }),
  timeZone: timeZone.optional().meta({ description: 'Zone for format date/datetime (default UTC): the calendar date and offset written.' }),
  sourceTimeZone: timeZone.optional().meta({ description: 'Zone of timestamps the model holds without one (default UTC).' }),
};

/** How one destination field gets its value. A bare string is a model column. */
export const fieldMappingSchema = z.union([
  z.string().min(1).meta({ description: 'A model column, copied as is.' }),
  z.strictObject({
    column: z.string().min(1),
    path: z.string().min(1).optional().meta({ description: 'Inside a JSON/struct column: a dotted path, e.g. address.city or tags.0.' }),
    transform: transforms,
    ...phoneRegion,
    ...dateFormatting,
  }),
  z.strictObject({ value: z.union([z.string(), z.number(), z.boolean(), z.null()]) }),
  z.strictObject({ template: z.string().min(1).meta({ description: 'e.g. "{first_name} {last_name}"' }), transform: transforms }),
  z.strictObject({ coalesce: z.array(z.string().min(1)).min(1), transform: transforms, ...phoneRegion, ...dateFormatting }),
]);
export type FieldMapping = z.infer<typeof fieldMappingSchema>;

export const modelSchema = z.union([
  z.strictObject({ sql: z.string().min(1).meta({ description: 'A SELECT over the warehouse.' }) }),
  z.strictObject({ table: z.string().min(1).meta({ description: 'A table or view, optionally schema-qualified.' }) }),
]);
export type Model = z.infer<typeof modelSchema>;

/**
 * In-warehouse change detection: the source warehouse keeps ebb's snapshots in a schema ebb
 * owns, and diffs there in SQL, so only changed rows leave the warehouse. Needs write access to
 * that schema (and, for DuckDB, `source.connection.readOnly: false`). Absent: the model is
 * streamed out and diffed in the state store.
 */
export const inWarehouseSchema = z
  .strictObject({
    schema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a plain schema name: letters, digits and "_"')
      .max(48)
      .meta({ description: 'A warehouse schema ebb owns (created if missing), e.g. ebb_state. ebb creates, replaces and drops tables there.' }),
  })
  .meta({
    description:
      'Diff inside the source warehouse: snapshot the model (key + hash of the columns each mapping reads) into this schema, diff against the committed snapshot in SQL, and read out only changed rows. DuckDB and PostgreSQL sources.',
  });
export type InWarehouse = z.infer<typeof inWarehouseSchema>;

export const changeDetectionSchema = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('diff').meta({ description: 'Hash the mapped fields of every row and diff against the last committed snapshot. Catches deletes.' }),
    inWarehouse: inWarehouseSchema.optional(),
  }),
  z.strictObject({
    mode: z.literal('watermark'),
    column: z.string().min(1).meta({ description: 'A monotonically increasing column, e.g. updated_at.' }),
    lookback: z
      .union([z.string().regex(/^\d+(ms|s|m|h|d)$/, 'use a duration like "15m", "2h" or "1d"'), z.number().nonnegative()])
      .default('0s')
      .meta({ description: 'Re-read this far behind the committed watermark, for late-arriving rows. A duration for timestamps, a number for numeric columns.' }),
  }),
  z.strictObject({
    mode: z.literal('cdc').meta({
      description:
        "Read only rows changed since the last committed point through the warehouse's change tracking (Snowflake CHANGES). The model must be a table with change tracking on. Catches deletes. Every read of a run is pinned to one point in time (time travel), so retries read the same data.",
    }),
  }),
]);
export type ChangeDetection = z.infer<typeof changeDetectionSchema>;

export const syncModes = ['upsert', 'update', 'insert', 'mirror'] as const;
export type SyncMode = (typeof syncModes)[number];

export const destinationSpecSchema = z.strictObject({
  name: identifier.meta({ description: 'Unique within the sync; names the destination in state, logs and the UI.' }),
  kind: z.string().min(1).meta({ description: 'Connector kind, e.g. postgres, webhook, file.' }),
  connection: z.record(z.string(), z.unknown()).default({}).meta({ description: "The connector's settings; secrets by reference." }),
  object: z.string().min(1).meta({ description: 'The destination object: a table, an endpoint path, an audience.' }),
  mode: z.enum(syncModes).default('upsert').meta({
    description: 'upsert: add and change; update: change existing only; insert: add only; mirror: upsert and delete rows gone from the model.',
  }),
  mapping: z
    .record(z.string().min(1), fieldMappingSchema)
    .refine((m) => Object.keys(m).length > 0, 'map at least one field')
    .superRefine((m, ctx) => {
      // Dotted destination fields build nested objects: a field cannot also be a parent of another.
      const fields = new Set(Object.keys(m));
      for (const f of fields) {
        const parts = f.split('.');
        if (parts.some((p) => p === '')) ctx.addIssue({ code: 'custom', path: [f], message: 'a nested field needs a name on both sides of each "."' });
        for (let i = 1; i < parts.length; i++) {
          const parent = parts.slice(0, i).join('.');
          if (fields.has(parent)) ctx.addIssue({ code: 'custom', path: [f], message: `"${parent}" is mapped as a value, so it cannot also hold "${f}"` });
        }
      }
    })
    .meta({ description: 'Destination field to its value. A dotted field ("address.city") writes a nested object.' }),
  idField: z.string().min(1).optional().meta({
    description: 'The destination field that identifies a record. Defaults to the first of matchOn, or the field mapped from the primary key.',
  }),
  matchOn: z
    .array(z.string().min(1))
    .min(2)
    .optional()
    .meta({
      description:
        'Identifiers in order of precedence, e.g. [crm_id, email]: each record updates the destination record its first identifier that the destination holds matches, else is created under its first non-empty identifier. Rows with none are never sent (identity:missing). Each must be a mapped field the destination can match on (unique or external id).',
    }),
  provenance: z
    .strictObject({
      runId: z.string().min(1).optional(),
      syncedAt: z.string().min(1).optional(),
      mappingVersion: z.string().min(1).optional(),
      modelVersion: z.string().min(1).optional(),
      sync: z.string().min(1).optional(),
    })
    .optional()
    .meta({
      description:
        'Destination fields that receive provenance on every record written: the run id, the sync time, the mapping and model versions, the sync name. They are not part of change detection, so they never cause a resend.',
    }),
  batchSize: z.number().int().min(1).max(10_000).default(500),
  concurrency: z.number().int().min(1).max(32).default(4).meta({ description: 'Chunk slices written in parallel.' }),
});
export type DestinationSpec = z.infer<typeof destinationSpecSchema>;

export const sourceSpecSchema = z.strictObject({
  kind: z.string().min(1).meta({ description: 'Connector kind, e.g. duckdb, postgres.' }),
  connection: z.record(z.string(), z.unknown()).default({}),
});
export type SourceSpec = z.infer<typeof sourceSpecSchema>;

export const syncSpecSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: identifier.meta({ description: 'The sync name; also its Temporal workflow id, sync/<name>.' }),
    description: z.string().optional(),
    source: sourceSpecSchema,
    model: modelSchema,
    primaryKey: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    changeDetection: changeDetectionSchema.default({ mode: 'diff' }),
    destinations: z.array(destinationSpecSchema).min(1),
    sla: z
      .string()
      .regex(/^\d+(ms|s|m|h|d)$/, 'use a duration like "30m" or "1h"')
      .optional()
      .meta({ description: 'Freshness SLA: a run is on time when its latency (destination time − warehouse-ready time) is within it.' }),
    costModel: z
      .strictObject({
        computePerHour: z.number().nonnegative().optional(),
        toolPerMillionRows: z.number().nonnegative().optional(),
        egressPerGb: z.number().nonnegative().optional(),
      })
      .optional()
      .meta({ description: 'Prices for the cost-per-million-rows KPI, in one currency.' }),
    gates: z
      .strictObject({
        nullKeys: z.enum(['fail', 'warn']).default('warn').meta({ description: 'Rows with a null primary key are never sent; fail stops the run.' }),
        duplicateKeys: z.enum(['fail', 'warn']).default('warn').meta({ description: 'Rows sharing a primary key are never sent; fail stops the run.' }),
        maxShrink: z.number().min(0).max(1).default(0.5).meta({ description: 'Stop before any write when the model shrank by more than this fraction since the last committed run.' }),
        maxDeleteShare: z.number().min(0).max(1).default(0.25).meta({ description: 'Pause for approval when deletes exceed this fraction of the rows a destination holds.' }),
        approvalTimeout: z.string().regex(/^\d+(ms|s|m|h|d)$/, 'use a duration like "1h"').default('24h'),
        onApprovalTimeout: z.enum(['reject', 'approve']).default('reject'),
      })
      .prefault({})
      .meta({ description: 'Pre-write gates, checked after the plan and before any write.' }),
    schemaDrift: z.enum(['fail', 'warn', 'ignore']).default('warn').meta({
      description: "When the model's columns or types changed since the last committed run: fail before any write, warn (report and alert), or ignore.",
    }),
    alerts: z
      .strictObject({
        webhook: z.union([z.url(), secretRefSchema]).meta({ description: 'A Slack-compatible incoming webhook (the URL itself, or a secret reference to it).' }),
        on: z.array(z.enum(alertKinds)).default([...alertKinds]),
        rejectionRate: z.number().min(0).max(1).default(0.05).meta({ description: 'Alert when more than this fraction of a destination\'s rows is rejected.' }),
        volumeChange: z.number().min(0).default(0.5).meta({ description: 'Alert when rows read change by more than this fraction since the last run.' }),
      })
      .optional(),
    then: z.array(identifier).optional().meta({
      description: 'Syncs to run after each successful run of this one (by name, in the worker\'s syncs folder): a sequence.',
    }),
    policy: z
      .union([z.string().min(1).meta({ description: 'A policy file (YAML), relative to the syncs folder.' }), policySchema])
      .optional()
      .meta({ description: 'Consent and purpose policy applied at sync time: rows without consent for a destination\'s purpose are never sent (and leave mirror-mode destinations).' }),
    syncLog: z
      .strictObject({
        table: z.string().regex(SYNC_LOG_TABLE_PATTERN, 'a table name, optionally schema-qualified (letters, digits, _)').meta({ description: 'e.g. analytics.ebb_sync_log; created if missing.' }),
      })
      .optional()
      .meta({ description: 'Write each run\'s counts and KPIs back to the source warehouse, a row per destination, so they sit next to the models.' }),
    ...safetyFields,
  })
  .superRefine((spec, ctx) => {
    if (spec.changeDetection.mode === 'cdc' && !('table' in spec.model)) {
      ctx.addIssue({ code: 'custom', path: ['model'], message: 'changeDetection.mode "cdc" reads a table\'s change tracking: set model.table (a table with CHANGE_TRACKING = TRUE), not model.sql' });
    }
    const seen = new Set<string>();
    spec.destinations.forEach((d, i) => {
      if (seen.has(d.name)) ctx.addIssue({ code: 'custom', path: ['destinations', i, 'name'], message: `duplicate destination name "${d.name}"` });
      seen.add(d.name);
      for (const [j, f] of (d.matchOn ?? []).entries()) {
        if (!(f in d.mapping)) ctx.addIssue({ code: 'custom', path: ['destinations', i, 'matchOn', j], message: `"${f}" is not a mapped field` });
      }
      if (d.matchOn && d.idField !== undefined && d.idField !== d.matchOn[0]) {
        ctx.addIssue({ code: 'custom', path: ['destinations', i, 'idField'], message: `with matchOn, idField is its first identifier ("${d.matchOn[0]}"); leave idField out` });
      }
      if (d.matchOn && capturesBeforeImages(spec)) {
        ctx.addIssue({ code: 'custom', path: ['destinations', i, 'matchOn'], message: 'before-images (canary, verify/autoHalt rollback, beforeImages) are kept by one identity field; matchOn with rollback is not supported yet' });
      }
      if (d.idField !== undefined && !(d.idField in d.mapping)) {
        ctx.addIssue({ code: 'custom', path: ['destinations', i, 'idField'], message: `"${d.idField}" is not a mapped field` });
      }
      if (d.idField === undefined && identityFieldOf(spec.primaryKey, d) === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['destinations', i, 'idField'],
          message: 'no mapped field comes from the primary key; map it or set idField',
        });
      }
    });
  });

/** A validated sync spec, with defaults applied. Plain JSON: safe to pass as workflow input. */
export type SyncSpec = z.infer<typeof syncSpecSchema>;
/** A spec as written, before defaults. */
export type SyncSpecInput = z.input<typeof syncSpecSchema>;

/** The primary key as a list of columns. */
export function primaryKeyColumns(spec: Pick<SyncSpec, 'primaryKey'>): string[] {
  return typeof spec.primaryKey === 'string' ? [spec.primaryKey] : spec.primaryKey;
}

/**
 * The destination field that identifies a record: `idField`, or else the first mapped field
 * whose value is a primary-key column.
 */
export function identityFieldOf(
  primaryKey: string | string[],
  dest: Pick<DestinationSpec, 'idField' | 'mapping'> & { matchOn?: string[] },
): string | undefined {
  if (dest.idField) return dest.idField;
  if (dest.matchOn?.length) return dest.matchOn[0];
  const keys = typeof primaryKey === 'string' ? [primaryKey] : primaryKey;
  for (const [field, m] of Object.entries(dest.mapping)) {
    const column = typeof m === 'string' ? m : 'column' in m ? m.column : undefined;
    if (column !== undefined && keys.includes(column)) return field;
  }
  return undefined;
}
