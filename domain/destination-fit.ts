import type { ObjectDescription } from '../connectors/types';
import type { DestinationSpec } from './spec/schema';
import { MODE_OPS } from './sync-modes';

/** One way a destination's mapping does not fit the object it writes to. */
export interface FitIssue {
  /** The spec path the fix goes to, e.g. `mapping.emial`. */
  path: string;
  message: string;
}

/**
 * Checks a destination's mapping against what `describe()` says of its object, before any
 * write: every mapped field exists, can be set by the operations the mode sends (createable
 * for inserts and upserts, updateable for updates and upserts), the identity field really
 * identifies records, and no required field is left unset on create. Destinations without a
 * schema (a webhook, a file) describe no fields, and then only the identity can be checked.
 *
 * Catching this here turns what would be a whole run of per-row rejections (or a silent
 * drop, for APIs that ignore unknown properties) into one clear error naming the field.
 */
export function checkDestinationFit(dest: Pick<DestinationSpec, 'mapping' | 'mode' | 'object' | 'provenance'> & { matchOn?: string[] }, idField: string, desc: ObjectDescription): FitIssue[] {
  if (desc.fields.length === 0) return [];
  const byName = new Map(desc.fields.map((f) => [f.name, f]));
  const byLower = new Map(desc.fields.map((f) => [f.name.toLowerCase(), f.name]));
  const ops = MODE_OPS[dest.mode];
  const creates = ops.add === 'upsert' || ops.add === 'insert';
  const updates = ops.add === 'upsert' || ops.add === 'update' || ops.change !== undefined;
  const issues: FitIssue[] = [];
  const written = [
    ...Object.keys(dest.mapping).map((field) => ({ field, path: `mapping.${field}` })),
    ...Object.entries(dest.provenance ?? {}).map(([what, field]) => ({ field: String(field), path: `provenance.${what}` })),
  ];
  for (const { field: mapped, path } of written) {
    // A nested field ("address.city") is checked by its top-level field.
    const field = byName.has(mapped) ? mapped : mapped.split('.')[0];
    const f = byName.get(field);
    if (!f) {
      const near = byLower.get(field.toLowerCase());
      issues.push({ path, message: `${dest.object} has no field "${field}"${near ? ` (did you mean "${near}"?)` : ''}` });
      continue;
    }
    if (field === idField || dest.matchOn?.includes(field)) continue; // identities are matched on, not set, on update
    if (creates && f.createable === false) issues.push({ path, message: `${dest.object}.${field} cannot be set when records are created (not createable); remove it from the mapping or use mode "update"` });
    if (updates && f.updateable === false) issues.push({ path, message: `${dest.object}.${field} cannot be changed on existing records (not updateable); remove it from the mapping${creates ? ' or use mode "insert"' : ''}` });
  }
  const identities = dest.matchOn ? dest.matchOn.map((f, i) => ({ f, path: `matchOn.${i}` })) : [{ f: idField, path: 'idField' }];
  for (const { f, path } of identities) {
    const id = byName.get(f);
    if (id && id.identifier === false) {
      issues.push({ path, message: `${dest.object}.${f} cannot identify records (not a unique or external id field); pick one of: ${desc.fields.filter((x) => x.identifier).map((x) => x.name).join(', ') || 'none listed'}` });
    }
  }
  if (creates) {
    const set = new Set(written.flatMap((w) => [w.field, w.field.split('.')[0]]));
    for (const f of desc.fields) {
      if (f.required && !set.has(f.name)) issues.push({ path: 'mapping', message: `${dest.object}.${f.name} is required on create and the mapping does not set it` });
    }
  }
  return issues;
}
