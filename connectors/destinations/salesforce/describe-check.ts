/**
 * What an sObject's describe says about a write, checked before the first write of a mapping:
 * the idField is an External ID field, every written field exists and can be set (createable for
 * upserts, updateable for updates), and the values' types can fit the field types. A violation
 * is a config error naming the object, the field and the fix — never a thousand rejected rows.
 */
import { configError } from '../../../domain/errors';
import type { FieldInfo, RecordWrite } from '../../types';

/** A field of Salesforce's describe result (the parts ebb reads). */
export interface SObjectField {
  name: string;
  type: string;
  length?: number;
  createable: boolean;
  updateable: boolean;
  nillable: boolean;
  externalId: boolean;
  idLookup?: boolean;
  unique?: boolean;
  defaultedOnCreate: boolean;
}

/** A describe result as {@link FieldInfo}s: external ids (and Id) identify records. */
export function toFieldInfo(f: SObjectField): FieldInfo {
  return {
    name: f.name,
    type: f.type,
    identifier: f.externalId || f.name === 'Id',
    required: !f.nillable && f.createable && !f.defaultedOnCreate,
    createable: f.createable,
    updateable: f.updateable,
  };
}

const NUMERIC = new Set(['double', 'currency', 'percent', 'int', 'long']);
const TEXT = new Set(['string', 'textarea', 'picklist', 'combobox', 'phone', 'encryptedstring', 'multipicklist']);
const TEMPORAL = new Set(['date', 'datetime']);

/** The JS value kinds each Salesforce type can take. Strings fit any type: a bad one is its row's problem. */
function fits(type: string, v: unknown): boolean {
  if (v === null || v === undefined || typeof v === 'string') return true;
  if (typeof v === 'number' || typeof v === 'bigint') return NUMERIC.has(type) || TEXT.has(type);
  if (typeof v === 'boolean') return type === 'boolean' || TEXT.has(type);
  if (v instanceof Date) return TEMPORAL.has(type) || TEXT.has(type);
  return false;
}

const kindOf = (v: unknown) => (v instanceof Date ? 'date' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Checks `records` against the object's fields (cached describe: no API call); throws a config
 * error at the first violation. Runs on every batch: value kinds can only be seen in the rows.
 */
export function verifyWrite(object: string, idField: string, fields: ReadonlyMap<string, SObjectField>, records: readonly RecordWrite[]): void {
  const fail = (field: string, problem: string) => {
    throw configError(`Salesforce ${object}.${field}: ${problem}`, { path: `object ${object}, field ${field}` });
  };
  const id = fields.get(idField);
  if (!id) fail(idField, `no such field (the sync's idField)${hint(idField, fields)}; set idField to the API name of an External ID field of ${object}`);
  else if (!id.externalId && id.name !== 'Id') {
    fail(idField, `not an External ID field, so records cannot be matched on it; mark it "External ID" (and Unique) in Setup → Object Manager → ${object} → Fields, or use another idField`);
  }
  const seen = new Set<string>();
  for (const r of records) {
    if (r.op === 'delete') continue;
    for (const [name, value] of Object.entries(r.fields)) {
      const f = fields.get(name);
      if (!seen.has(`${r.op}:${name}`)) {
        seen.add(`${r.op}:${name}`);
        if (!f) fail(name, `no such field${hint(name, fields)}; fix the mapping (custom fields end in __c) or grant the integration user Read access to the field`);
        // Matching on the record Id writes nothing to it.
        if (name === idField && name === 'Id') continue;
        if (r.op === 'update' && name !== idField && !f!.updateable) {
          fail(name, 'not updateable (read-only, a formula, or read-only for the integration user by field-level security); remove it from the mapping or make it editable for that user');
        }
        if (r.op !== 'update' && !f!.createable) {
          fail(name, 'not createable (read-only, a formula, or read-only for the integration user by field-level security); remove it from the mapping or make it editable for that user');
        }
      }
      if (f && !fits(f.type, value)) {
        fail(name, `a ${f.type} field, but the mapping sends ${kindOf(value)} values; cast the model column to a type that fits (text, number, boolean or date as the field needs) or map another column`);
      }
    }
  }
}

/** " (did you mean LastName?)" when only the case differs. */
function hint(name: string, fields: ReadonlyMap<string, SObjectField>): string {
  const close = [...fields.keys()].find((k) => k.toLowerCase() === name.toLowerCase());
  return close ? ` (did you mean ${close}?)` : '';
}
