/**
 * sObject Collections: upsert by external id (`PATCH /composite/sobjects/{type}/{field}`),
 * update by Id (`PATCH /composite/sobjects`) and delete by Ids (`DELETE /composite/sobjects?ids=`).
 * At most 200 records a call, else the whole call is refused with EXCEEDED_ID_LIMIT; with
 * `allOrNone: false` every record gets its own `{ id, success, errors, created }`, in order.
 */
import type { SfError, SObjectType } from './sobjects';

/** Salesforce's cap on records per sObject Collections call. */
export const MAX_COLLECTION = 200;

/** A route's answer. */
export interface Reply {
  status: number;
  body: unknown;
  type?: string;
}

/** Salesforce's whole-request error body: `[{ message, errorCode }]`. */
export const sfErrors = (status: number, errorCode: string, message: string): Reply => ({ status, body: [{ message, errorCode }] });

const tooMany = () => sfErrors(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_COLLECTION} records into this call`);
const failed = (errors: SfError[], id?: string) => ({ ...(id ? { id } : {}), success: false, errors });

type Body = { allOrNone?: boolean; records?: Array<Record<string, unknown>> };

/** Upserts `records` of `type` matched on `extField`. `onSize` sees every accepted call's size. */
export function upsertCollection(type: SObjectType, extField: string, body: Body, onSize: (n: number) => void): Reply {
  const records = body.records ?? [];
  if (records.length > MAX_COLLECTION) return tooMany();
  const ext = type.fields.get(extField);
  if (!ext || !(ext.externalId || ext.name === 'Id')) return sfErrors(400, 'INVALID_FIELD', `Field ${extField} is not an External ID or Id field for ${type.name}`);
  onSize(records.length);
  return {
    status: 200,
    body: records.map((r) => {
      const { attributes: _a, ...values } = r;
      const key = values[extField];
      if (key === undefined || key === null || key === '') return failed([{ statusCode: 'MISSING_ARGUMENT', message: `${extField} not specified`, fields: [extField] }]);
      const existing = type.findBy(extField, key);
      const errors = type.validate(values, !existing, existing);
      if (errors.length) return failed(errors);
      const saved = type.save(values, existing);
      return { id: saved.Id, success: true, errors: [], created: !existing };
    }),
  };
}

/** Updates records by their `id`; never creates one. */
export function updateCollection(objects: Map<string, SObjectType>, body: Body, onSize: (n: number) => void): Reply {
  const records = body.records ?? [];
  if (records.length > MAX_COLLECTION) return tooMany();
  onSize(records.length);
  return {
    status: 200,
    body: records.map((r) => {
      const { attributes, id: lower, Id: upper, ...values } = r as { attributes?: { type?: string }; id?: unknown; Id?: unknown } & Record<string, unknown>;
      const id = String(lower ?? upper ?? '');
      const type = objects.get(String(attributes?.type ?? ''));
      if (!type) return failed([{ statusCode: 'INVALID_TYPE', message: 'sObject type is missing or not supported', fields: [] }], id);
      const existing = type.records.get(id);
      if (!existing) {
        const gone = type.deleted.has(id);
        return failed([{ statusCode: gone ? 'ENTITY_IS_DELETED' : 'INVALID_CROSS_REFERENCE_KEY', message: gone ? 'entity is deleted' : 'invalid cross reference id', fields: [] }], id);
      }
      const errors = type.validate(values, false, existing);
      if (errors.length) return failed(errors, id);
      type.save(values, existing);
      return { id, success: true, errors: [] };
    }),
  };
}

/** Deletes records by Id, whatever their type. */
export function deleteCollection(objects: Map<string, SObjectType>, ids: string[]): Reply {
  if (ids.length > MAX_COLLECTION) return tooMany();
  return {
    status: 200,
    body: ids.map((id) => {
      const type = [...objects.values()].find((t) => t.records.has(id) || t.deleted.has(id));
      if (type?.remove(id)) return { id, success: true, errors: [] };
      const gone = type !== undefined;
      return failed([{ statusCode: gone ? 'ENTITY_IS_DELETED' : 'INVALID_CROSS_REFERENCE_KEY', message: gone ? 'entity is deleted' : 'invalid cross reference id', fields: [] }], id);
    }),
  };
}
