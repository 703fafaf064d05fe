/**
 * Before-images: just before a chunk is written, read what the destination holds for exactly
 * the fields the chunk will change, and note which records do not exist yet (the run creates
 * them). A rollback restores the former and deletes the latter.
 */
import { configError } from '../domain/errors';
import type { Destination, RecordWrite } from '../connectors/types';
import type { BeforeImage, SafetyStore } from '../state/safety-store';

/** Inputs of {@link captureBeforeImages}. */
export interface CaptureInput {
  runId: string;
  dest: { name: string; kind: string; object: string };
  idField: string;
  destination: Destination;
  safety: SafetyStore;
  /** Destination fields the mapping writes: what a delete takes away, so what to keep of it. */
  mappedFields: readonly string[];
}

/** Reads and saves the before-images of the records of one chunk, before it is written. */
export async function captureBeforeImages(p: CaptureInput, records: readonly RecordWrite[]): Promise<void> {
  const destination = p.destination;
  if (!destination.readBack) {
    throw configError(
      `destination ${p.dest.name} (${p.dest.kind}) cannot read records back, so ebb cannot keep the before-images a rollback needs; set beforeImages: false (and no canary / autoHalt rollback) for this sync, or use a destination that reads back`,
      { destination: p.dest.name, path: 'beforeImages' },
    );
  }
  const idOf = (r: RecordWrite) => r.fields[p.idField];
  const ids = records.map((r) => idOf(r)).filter((id) => id !== null && id !== undefined);
  const fields = new Set<string>();
  for (const r of records) for (const f of r.op === 'delete' ? p.mappedFields : Object.keys(r.fields)) if (f !== p.idField) fields.add(f);
  const held = ids.length ? await destination.readBack({ object: p.dest.object, idField: p.idField, ids: ids.map(String), fields: [...fields] }) : new Map();
  const images: BeforeImage[] = records.map((r) => {
    const current = held.get(String(idOf(r)));
    const written = r.op === 'delete' ? p.mappedFields : Object.keys(r.fields);
    return {
      seq: r.seq,
      key: r.key,
      op: r.op,
      idValue: JSON.stringify(idOf(r) ?? null),
      existed: current !== undefined,
      image: current === undefined ? null : pick(current, written, p.idField),
    };
  });
  await p.safety.saveBeforeImages(p.runId, p.dest.name, images);
}

/** The fields of `record` the write touches, with the identity kept so the image can be written back alone. */
function pick(record: Record<string, unknown>, fields: readonly string[], idField: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f !== idField) out[f] = normalize(record[f]);
  return out;
}

/** JSON-safe: dates as ISO strings, bigints as strings (images are stored as JSON). */
function normalize(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  return v === undefined ? null : v;
}
