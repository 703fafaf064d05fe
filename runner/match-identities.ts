/**
 * Identity precedence (spec `matchOn`): which identifier each record of a chunk is written
 * under. For each identifier in order, the destination is asked which of the chunk's records it
 * holds under that identifier (`readBack`); a record matched there is written under it (so an
 * existing record found by email is updated, and gains the external id). A record matched
 * nowhere is created under its first non-empty identifier.
 */
import { configError } from '../domain/errors';
import type { Destination, RecordWrite } from '../connectors/types';

/** Records grouped by the identifier they are written under, in precedence order. */
export type IdentityGroups = Array<{ idField: string; records: RecordWrite[] }>;

/** Groups `records` by the identifier each matches (see the module comment). */
export async function matchIdentities(destination: Destination, target: { name: string; kind: string; object: string }, matchOn: readonly string[], records: readonly RecordWrite[]): Promise<IdentityGroups> {
  if (!destination.readBack) {
    throw configError(`destination ${target.name} (${target.kind}) cannot look records up, so matchOn cannot choose among identifiers; use a single idField`, { destination: target.name, path: 'matchOn' });
  }
  const value = (r: RecordWrite, f: string) => {
    const v = r.fields[f];
    return v === null || v === undefined || v === '' ? undefined : String(v);
  };
  const chosen = new Map<number, string>();
  let open = [...records];
  for (const field of matchOn) {
    const candidates = open.filter((r) => value(r, field) !== undefined);
    if (candidates.length === 0) continue;
    const held = await destination.readBack({ object: target.object, idField: field, ids: [...new Set(candidates.map((r) => value(r, field)!))], fields: [] });
    for (const r of candidates) if (held.has(value(r, field)!)) chosen.set(r.seq, field);
    open = open.filter((r) => !chosen.has(r.seq));
  }
  for (const r of open) {
    const first = matchOn.find((f) => value(r, f) !== undefined);
    // The plan never stages a row with no identifier; a delete carries the ones last committed.
    chosen.set(r.seq, first ?? matchOn[0]);
  }
  return matchOn
    .map((idField) => ({ idField, records: records.filter((r) => chosen.get(r.seq) === idField) }))
    .filter((g) => g.records.length > 0);
}
