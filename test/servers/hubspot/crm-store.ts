/**
 * The CRM's records and property definitions, in memory, with HubSpot's validation rules:
 * property types (number, bool, date, datetime, enumeration options), read-only properties,
 * and unique properties (`hasUniqueValue`), whose values no two records may share.
 */
import { errorBody, type HubSpotError } from './bodies';

/** A property definition, as `GET /crm/v3/properties/{objectType}` lists it. */
export interface PropertyDef {
  name: string;
  type: 'string' | 'number' | 'bool' | 'date' | 'datetime' | 'enumeration';
  fieldType?: string;
  hasUniqueValue?: boolean;
  readOnlyValue?: boolean;
  options?: string[];
}

/** One stored record: HubSpot's id and its property values (always strings, as HubSpot returns them). */
export interface CrmRecord {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/** An object type: its properties and records. */
export class CrmObject {
  readonly records = new Map<string, CrmRecord>();
  readonly properties: Map<string, PropertyDef>;

  constructor(
    readonly name: string,
    properties: PropertyDef[],
  ) {
    const base: PropertyDef[] = [
      { name: 'hs_object_id', type: 'number', hasUniqueValue: true, readOnlyValue: true },
      { name: 'createdate', type: 'datetime', readOnlyValue: true },
      { name: 'lastmodifieddate', type: 'datetime', readOnlyValue: true },
    ];
    this.properties = new Map([...base, ...properties].map((p) => [p.name, p]));
  }

  /** Unique property → value → record: lookups by idProperty stay O(1) at 100k records. */
  private readonly unique = new Map<string, Map<string, CrmRecord>>();

  /** The record whose `property` holds `value`. */
  findBy(property: string, value: string): CrmRecord | undefined {
    if (property === 'hs_object_id') return this.records.get(value);
    const index = this.unique.get(property);
    if (index) return index.get(value);
    for (const r of this.records.values()) if (r.properties[property] === value) return r;
    return undefined;
  }

  /** Sets (or, with '', clears) a property of a stored record, keeping the unique indexes right. */
  set(record: CrmRecord, property: string, value: string): void {
    const def = this.properties.get(property);
    if (def?.hasUniqueValue && property !== 'hs_object_id') {
      const index = this.unique.get(property) ?? new Map<string, CrmRecord>();
      this.unique.set(property, index);
      const old = record.properties[property];
      if (old !== undefined && index.get(old) === record) index.delete(old);
      if (value !== '') index.set(value, record);
    }
    if (value === '') delete record.properties[property];
    else record.properties[property] = value;
  }

  /** Removes a record (archive). */
  remove(id: string): void {
    const r = this.records.get(id);
    if (!r) return;
    for (const [property, index] of this.unique) {
      const v = r.properties[property];
      if (v !== undefined && index.get(v) === r) index.delete(v);
    }
    this.records.delete(id);
  }

  /** Why `value` cannot be stored in `property` (a per-input validation error), or undefined. */
  invalidValue(property: string, value: unknown): string | undefined {
    const def = this.properties.get(property);
    if (!def) return undefined; // unknown properties are refused for the whole batch, earlier
    if (value === null || value === '') return undefined;
    const text = String(value);
    switch (def.type) {
      case 'number':
        return Number.isFinite(Number(text)) ? undefined : `${text} was not a valid number.`;
      case 'bool':
        return ['true', 'false'].includes(text.toLowerCase()) ? undefined : `${text} was not a valid boolean.`;
      case 'enumeration':
        return def.options?.includes(text) ? undefined : `${text} was not one of the allowed options: [${(def.options ?? []).join(', ')}]`;
      case 'date':
        return /^\d{4}-\d{2}-\d{2}$/.test(text) || /^\d+$/.test(text) ? undefined : `${text} is not a valid date (YYYY-MM-DD or midnight UTC in ms).`;
      case 'datetime':
        return !Number.isNaN(Date.parse(text)) || /^\d+$/.test(text) ? undefined : `${text} is not a valid datetime.`;
      default:
        return undefined;
    }
  }

  /**
   * Refuses a whole batch for what no single input could fix: properties that do not exist or
   * are read-only, and an idProperty that is not unique.
   */
  checkBatch(idProperty: string, inputs: readonly { properties?: Record<string, unknown> }[]): HubSpotError | undefined {
    const id = this.properties.get(idProperty);
    if (!id || !id.hasUniqueValue) {
      return errorBody(400, 'VALIDATION_ERROR', `Property ${idProperty} is not a unique identifier property of ${this.name}; idProperty must have hasUniqueValue=true.`);
    }
    for (const input of inputs) {
      for (const name of Object.keys(input.properties ?? {})) {
        const def = this.properties.get(name);
        if (!def) return errorBody(400, 'VALIDATION_ERROR', `Property values were not valid: [{"isValid":false,"message":"Property \\"${name}\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"${name}"}]`);
        if (def.readOnlyValue) return errorBody(400, 'VALIDATION_ERROR', `Property values were not valid: [{"isValid":false,"message":"${name} is a read only property; its value cannot be set.","error":"READ_ONLY_VALUE","name":"${name}"}]`);
      }
    }
    return undefined;
  }

  /** Another record already holding one of these unique values: HubSpot's 409 CONFLICT. */
  conflict(self: CrmRecord | undefined, properties: Record<string, string>): string | undefined {
    for (const [name, value] of Object.entries(properties)) {
      if (!this.properties.get(name)?.hasUniqueValue || value === '') continue;
      const owner = this.findBy(name, value);
      if (owner && owner !== self) return `${this.name} already exists with this ${name}. Existing ID: ${owner.id}`;
    }
    return undefined;
  }
}
