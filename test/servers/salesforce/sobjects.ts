/**
 * The org's sObjects, in memory, with Salesforce's save rules per record: fields must exist and
 * be createable (insert) or updateable (update), text fits its length, numbers are numbers,
 * required fields are set on create, and unique / external-id values are not shared.
 */

/** A field, as `describe` lists it. */
export interface SfField {
  name: string;
  type: 'id' | 'string' | 'email' | 'double' | 'boolean' | 'datetime' | 'date' | 'picklist';
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

/** One sObject type and its records. */
export class SObjectType {
  readonly records = new Map<string, Record<string, unknown>>();
  readonly fields: Map<string, SfField>;
  private seq = 0;

  constructor(
    readonly name: string,
    readonly keyPrefix: string,
    fields: SfField[],
  ) {
    const base: SfField[] = [
      { name: 'Id', type: 'id', createable: false, updateable: false, nillable: false, idLookup: true, unique: true, defaultedOnCreate: true },
      { name: 'CreatedDate', type: 'datetime', createable: false, updateable: false, nillable: false, defaultedOnCreate: true },
      { name: 'LastModifiedDate', type: 'datetime', createable: false, updateable: false, nillable: false, defaultedOnCreate: true },
    ];
    this.fields = new Map([...base, ...fields].map((f) => [f.name, { createable: true, updateable: true, nillable: true, ...f }]));
  }

  newId(): string {
    return `${this.keyPrefix}${String(++this.seq).padStart(15 - this.keyPrefix.length, '0')}`;
  }

  /** The record whose `field` equals `value` (case-insensitive for external ids, as Salesforce). */
  findBy(field: string, value: unknown): Record<string, unknown> | undefined {
    if (field === 'Id') return this.records.get(String(value));
    const v = String(value).toLowerCase();
    for (const r of this.records.values()) if (r[field] !== null && r[field] !== undefined && String(r[field]).toLowerCase() === v) return r;
    return undefined;
  }

  /** Why a record's values cannot be saved, or an empty list. */
  validate(values: Record<string, unknown>, creating: boolean, self?: Record<string, unknown>): SfError[] {
    const errors: SfError[] = [];
    for (const [name, value] of Object.entries(values)) {
      const f = this.fields.get(name);
      if (!f) {
        errors.push({ statusCode: 'INVALID_FIELD', message: `No such column '${name}' on sobject of type ${this.name}`, fields: [name] });
        continue;
      }
      if ((creating && !f.createable) || (!creating && !f.updateable)) {
        errors.push({ statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', message: `Unable to create/update fields: ${name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`, fields: [name] });
        continue;
      }
      if (value === null || value === undefined || value === '') continue;
      if ((f.type === 'string' || f.type === 'email' || f.type === 'picklist') && f.length && String(value).length > f.length) {
        errors.push({ statusCode: 'STRING_TOO_LONG', message: `${name}: data value too large (max length=${f.length})`, fields: [name] });
      } else if (f.type === 'double' && !Number.isFinite(Number(value))) {
        errors.push({ statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD', message: `${name}: value not of required type`, fields: [name] });
      } else if (f.type === 'email' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(String(value))) {
        errors.push({ statusCode: 'INVALID_EMAIL_ADDRESS', message: `${name}: invalid email address`, fields: [name] });
      } else if (f.unique || f.externalId) {
        const owner = this.findBy(name, value);
        if (owner && owner !== self) errors.push({ statusCode: 'DUPLICATE_VALUE', message: `duplicate value found: ${name} duplicates value on record with id: ${String(owner.Id)}`, fields: [name] });
      }
    }
    if (creating) {
      for (const f of this.fields.values()) {
        const v = values[f.name];
        if (!f.nillable && f.createable && !f.defaultedOnCreate && (v === undefined || v === null || v === '')) {
          errors.push({ statusCode: 'REQUIRED_FIELD_MISSING', message: `Required fields are missing: [${f.name}]`, fields: [f.name] });
        }
      }
    }
    return errors;
  }

  /** Saves values on a new or existing record; returns the record. */
  save(values: Record<string, unknown>, existing?: Record<string, unknown>): Record<string, unknown> {
    const now = new Date().toISOString();
    const record = existing ?? { Id: this.newId(), CreatedDate: now };
    for (const [k, v] of Object.entries(values)) {
      const f = this.fields.get(k)!;
      record[k] = v === '' || v === undefined ? null : f.type === 'double' && v !== null ? Number(v) : v;
    }
    record.LastModifiedDate = now;
    this.records.set(String(record.Id), record);
    return record;
  }

  /** The describe result. */
  describe() {
    return {
      name: this.name,
      keyPrefix: this.keyPrefix,
      createable: true,
      updateable: true,
      deletable: true,
      queryable: true,
      fields: [...this.fields.values()].map((f) => ({
        name: f.name,
        label: f.name,
        type: f.type,
        length: f.length ?? 0,
        createable: f.createable,
        updateable: f.updateable,
        nillable: f.nillable,
        externalId: f.externalId ?? false,
        unique: f.unique ?? false,
        idLookup: f.idLookup ?? f.externalId ?? false,
        defaultedOnCreate: f.defaultedOnCreate ?? false,
      })),
    };
  }
}
