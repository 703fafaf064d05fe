/**
 * The org's sObjects, in memory, with Salesforce's save rules per record: fields must exist and
 * be createable (insert) or updateable (update), text fits its length, numbers, booleans and
 * dates parse, required fields are set on create, and unique / external-id values are not shared.
 * Values arrive as JSON (Collections) or as CSV strings (Bulk API 2.0); both go through here.
 */

/** Field types this org models (a subset of Salesforce's `FieldType`). */
export type SfFieldType = 'id' | 'string' | 'textarea' | 'email' | 'phone' | 'url' | 'picklist' | 'double' | 'currency' | 'int' | 'boolean' | 'date' | 'datetime';

/** A field, as `describe` lists it. */
export interface SfField {
  name: string;
  type: SfFieldType;
  length?: number;
  createable?: boolean;
  updateable?: boolean;
  nillable?: boolean;
  externalId?: boolean;
  unique?: boolean;
  idLookup?: boolean;
  defaultedOnCreate?: boolean;
}

/** A Salesforce error: `{ statusCode, message, fields }`. */
export interface SfError {
  statusCode: string;
  message: string;
  fields: string[];
}

const TEXT = new Set<SfFieldType>(['string', 'textarea', 'email', 'phone', 'url', 'picklist']);
const NUMBER = new Set<SfFieldType>(['double', 'currency', 'int']);

/** One sObject type and its records. */
export class SObjectType {
  readonly records = new Map<string, Record<string, unknown>>();
  /** Ids of deleted records (updating one answers ENTITY_IS_DELETED, as the recycle bin does). */
  readonly deleted = new Set<string>();
  readonly fields: Map<string, SfField>;
  private seq = 0;

  constructor(
    readonly name: string,
    readonly keyPrefix: string,
    fields: SfField[],
  ) {
    const base: SfField[] = [
      { name: 'Id', type: 'id', length: 18, createable: false, updateable: false, nillable: false, idLookup: true, unique: true, defaultedOnCreate: true },
      { name: 'CreatedDate', type: 'datetime', createable: false, updateable: false, nillable: false, defaultedOnCreate: true },
      { name: 'LastModifiedDate', type: 'datetime', createable: false, updateable: false, nillable: false, defaultedOnCreate: true },
    ];
    this.fields = new Map([...base, ...fields].map((f) => [f.name, { createable: true, updateable: true, nillable: true, ...f }]));
  }

  newId(): string {
    return `${this.keyPrefix}${String(++this.seq).padStart(15 - this.keyPrefix.length, '0')}`;
  }

  /** The record whose `field` equals `value` (case-insensitive for text, as Salesforce matches external ids). */
  findBy(field: string, value: unknown): Record<string, unknown> | undefined {
    if (field === 'Id') return this.records.get(String(value));
    const v = String(value).toLowerCase();
    for (const r of this.records.values()) if (r[field] !== null && r[field] !== undefined && String(r[field]).toLowerCase() === v) return r;
    return undefined;
  }

  /** Removes a record; false when it was not there. */
  remove(id: string): boolean {
    if (!this.records.delete(id)) return false;
    this.deleted.add(id);
    return true;
  }

  /** Why a record's values cannot be saved, or an empty list. */
  validate(values: Record<string, unknown>, creating: boolean, self?: Record<string, unknown>): SfError[] {
    const errors: SfError[] = [];
    const err = (statusCode: string, message: string, field: string) => errors.push({ statusCode, message, fields: [field] });
    for (const [name, value] of Object.entries(values)) {
      const f = this.fields.get(name);
      if (!f) {
        err('INVALID_FIELD', `No such column '${name}' on sobject of type ${this.name}`, name);
        continue;
      }
      if ((creating && !f.createable) || (!creating && !f.updateable)) {
        err('INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to create/update fields: ${name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`, name);
        continue;
      }
      if (value === null || value === undefined || value === '') {
        if (!f.nillable && !creating) err('REQUIRED_FIELD_MISSING', `Required fields are missing: [${name}]`, name);
        continue;
      }
      const problem = this.typeProblem(f, value);
      if (problem) err(problem.statusCode, problem.message, name);
      else if (f.unique || f.externalId) {
        const owner = this.findBy(name, value);
        if (owner && owner !== self) err('DUPLICATE_VALUE', `duplicate value found: ${name} duplicates value on record with id: ${String(owner.Id)}`, name);
      }
    }
    if (creating) {
      for (const f of this.fields.values()) {
        const v = values[f.name];
        if (!f.nillable && f.createable && !f.defaultedOnCreate && (v === undefined || v === null || v === '')) {
          err('REQUIRED_FIELD_MISSING', `Required fields are missing: [${f.name}]`, f.name);
        }
      }
    }
    return errors;
  }

  /** Salesforce's complaint about a value of the wrong shape for `f`, quoting the value as it does. */
  private typeProblem(f: SfField, value: unknown): { statusCode: string; message: string } | undefined {
    const s = String(value);
    if (typeof value === 'object') return { statusCode: 'JSON_PARSER_ERROR', message: `Cannot deserialize instance of ${f.type} from START_OBJECT value` };
    if (TEXT.has(f.type) && f.length && s.length > f.length) return { statusCode: 'STRING_TOO_LONG', message: `${f.name}: data value too large: ${s} (max length=${f.length})` };
    if (NUMBER.has(f.type) && (typeof value === 'boolean' || s.trim() === '' || !Number.isFinite(Number(s)) || (f.type === 'int' && !Number.isInteger(Number(s))))) {
      return { statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD', message: `${f.name}: value not of required type: ${s}` };
    }
    if (f.type === 'boolean' && !/^(true|false)$/i.test(s)) return { statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD', message: `${f.name}: value not of required type: ${s}` };
    if ((f.type === 'date' || f.type === 'datetime') && Number.isNaN(Date.parse(s))) return { statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD', message: `${f.name}: value not of required type: ${s}` };
    if (f.type === 'email' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s)) return { statusCode: 'INVALID_EMAIL_ADDRESS', message: `${f.name}: invalid email address: ${s}` };
    return undefined;
  }

  /** Saves values on a new or existing record; returns the record. */
  save(values: Record<string, unknown>, existing?: Record<string, unknown>): Record<string, unknown> {
    const now = new Date().toISOString();
    const record = existing ?? { Id: this.newId(), CreatedDate: now };
    for (const [k, v] of Object.entries(values)) record[k] = this.coerce(this.fields.get(k)!, v);
    record.LastModifiedDate = now;
    this.records.set(String(record.Id), record);
    return record;
  }

  /** A validated value as Salesforce stores it (CSV strings become numbers and booleans). */
  private coerce(f: SfField, v: unknown): unknown {
    if (v === '' || v === undefined || v === null) return null;
    if (NUMBER.has(f.type)) return Number(v);
    if (f.type === 'boolean') return String(v).toLowerCase() === 'true';
    if (f.type === 'date') return new Date(String(v)).toISOString().slice(0, 10);
    if (f.type === 'datetime') return new Date(String(v)).toISOString().replace('Z', '+0000');
    return v;
  }

  /** The describe result (`GET …/sobjects/{name}/describe`). */
  describe() {
    return {
      name: this.name,
      label: this.name,
      keyPrefix: this.keyPrefix,
      custom: this.name.endsWith('__c'),
      createable: true,
      updateable: true,
      deletable: true,
      queryable: true,
      fields: [...this.fields.values()].map((f) => ({
        name: f.name,
        label: f.name,
        type: f.type,
        soapType: f.type === 'id' ? 'tns:ID' : NUMBER.has(f.type) ? 'xsd:double' : `xsd:${f.type === 'boolean' || f.type === 'date' || f.type === 'datetime' ? (f.type === 'datetime' ? 'dateTime' : f.type) : 'string'}`,
        length: f.length ?? 0,
        createable: f.createable,
        updateable: f.updateable,
        nillable: f.nillable,
        externalId: f.externalId ?? false,
        unique: f.unique ?? false,
        idLookup: f.idLookup ?? f.externalId ?? false,
        defaultedOnCreate: f.defaultedOnCreate ?? false,
        custom: f.name.endsWith('__c'),
        calculated: !f.createable && !f.updateable && f.name !== 'Id' && !f.defaultedOnCreate,
        filterable: true,
      })),
    };
  }
}
