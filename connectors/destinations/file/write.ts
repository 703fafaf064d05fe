/**
 * The file export: a change log per run. Each batch is written atomically as a part file,
 * `<directory>/.parts/<object>/<idempotency key, file-name-safe>.part`, so rewriting a batch
 * replaces its part (idempotent) and a crash leaves whole parts only. `finalize` streams a
 * run's parts, in seq order, into `<directory>/<object>-<runId>.<jsonl|csv>` (atomically), then
 * removes them.
 *
 * A part is line-oriented JSON: first a header `{ v, firstSeq, idField, fields }` (`fields`: the
 * batch's field names, null for a delete-only batch), then one `{ s, o, k, f }` line per record.
 * The output format is applied at finalize, when the run's columns are known.
 */
import path from 'node:path';
import { configError } from '../../../domain/errors';
import type { RecordWrite, RowResult, WriteBatch, WriteResult } from '../../types';
import { ensureDir, exists, listDir, readFirstLine, readLines, removeFiles, writeLinesAtomic } from './client';
import type { FileDestinationConfig } from './config';
import { assertObjectName, fsError } from './errors';

/** Where one destination's files live. */
export interface FileTarget {
  /** Absolute export directory. */
  directory: string;
  format: FileDestinationConfig['format'];
}

interface PartHeader {
  v: 1;
  firstSeq: number;
  idField: string;
  fields: string[] | null;
}

interface PartLine {
  s: number;
  o: RecordWrite['op'];
  k: string;
  f: Record<string, unknown>;
}

const RESERVED = new Set(['_op', '_key']);

/** Directory of an object's parts. */
export const partsDir = (t: FileTarget, object: string) => path.join(t.directory, '.parts', object);

/** The run's export file. */
export const finalFile = (t: FileTarget, object: string, runId: string) => path.join(t.directory, `${object}-${safeName(runId)}.${t.format}`);

/**
 * Writes one batch as one part. Records whose values JSON/CSV cannot hold faithfully (NaN,
 * Infinity, cycles) are rejected; the others are written. `knownFields` caches, per run, the
 * columns already used, so a CSV run keeps one set of columns.
 */
export async function writePart(t: FileTarget, batch: WriteBatch, knownFields: Map<string, string[] | null>): Promise<WriteResult> {
  assertObjectName(batch.object);
  if (batch.records.length === 0) return { results: [] };
  const fields = fieldSet(batch);
  const dir = partsDir(t, batch.object);
  if (t.format === 'csv' && fields) await assertSameColumns(dir, runOf(batch.idempotencyKey), fields, knownFields);

  const results: RowResult[] = [];
  const lines: string[] = [];
  for (const r of batch.records) {
    const line = serialize({ s: r.seq, o: r.op, k: r.key, f: r.fields });
    if (typeof line === 'string') {
      lines.push(line);
      results.push({ seq: r.seq, status: 'ok' });
    } else {
      results.push({ seq: r.seq, status: 'rejected', reason: line.reason });
    }
  }
  const header: PartHeader = { v: 1, firstSeq: batch.records[0].seq, idField: batch.idField, fields };
  try {
    await ensureDir(dir);
    await writeLinesAtomic(path.join(dir, `${safeName(batch.idempotencyKey)}.part`), [JSON.stringify(header), ...lines]);
  } catch (err) {
    throw fsError(err, `writing a part of ${batch.object} under ${t.directory}`);
  }
  return { results };
}

/**
 * Assembles a run's parts into its export file, streaming (memory does not grow with the run),
 * then removes them. Idempotent: once the export file exists the run is done, and parts left
 * by an interrupted cleanup are only removed. A run with no parts writes no file.
 */
export async function finalizeRun(t: FileTarget, run: { runId: string; object: string }): Promise<void> {
  assertObjectName(run.object);
  const dir = partsDir(t, run.object);
  const target = finalFile(t, run.object, run.runId);
  try {
    const prefix = safeName(`${run.runId}:`);
    const names = (await listDir(dir)).filter((n) => n.startsWith(prefix));
    const parts = names.filter((n) => n.endsWith('.part'));
    if (parts.length > 0 && !(await exists(target))) {
      const headers = await Promise.all(parts.map(async (name) => ({ name, header: JSON.parse((await readFirstLine(path.join(dir, name))) ?? '{}') as PartHeader })));
      headers.sort((a, b) => a.header.firstSeq - b.header.firstSeq || a.name.localeCompare(b.name));
      const columns = t.format === 'csv' ? csvColumns(headers.map((h) => h.header), run.object) : [];
      const eol = t.format === 'csv' ? '\r\n' : '\n';
      await writeLinesAtomic(target, outputLines(t.format, columns, headers.map((h) => path.join(dir, h.name))), eol);
    }
    // Parts, and temporary files of writes that were interrupted.
    await removeFiles(dir, names);
    const stale = `${path.basename(target)}.tmp-`;
    await removeFiles(t.directory, (await listDir(t.directory)).filter((n) => n.startsWith(stale)));
  } catch (err) {
    throw fsError(err, `assembling ${path.basename(target)} in ${t.directory}`);
  }
}

async function* outputLines(format: FileTarget['format'], columns: string[], parts: string[]): AsyncIterable<string> {
  if (format === 'csv') yield ['_op', '_key', ...columns].map(csvValue).join(',');
  for (const part of parts) {
    let first = true;
    for await (const text of readLines(part)) {
      if (first || text === '') {
        first = false;
        continue;
      }
      const line = JSON.parse(text) as PartLine;
      yield format === 'csv'
        ? [line.o, line.k, ...columns.map((c) => line.f[c])].map(csvValue).join(',')
        : JSON.stringify({ _op: line.o, _key: line.k, ...line.f });
    }
  }
}

/** The run's CSV columns: the one field set its writing batches share, plus the identity. */
function csvColumns(headers: PartHeader[], object: string): string[] {
  const sets = headers.map((h) => h.fields).filter((f): f is string[] => f !== null);
  const columns = sets[0] ?? [];
  for (const s of sets) {
    if (!sameSet(s, columns)) throw configError(`the batches of this run of ${object} have different fields; a CSV export needs one set of columns per run`, { path: 'mapping' });
  }
  const id = headers[0]?.idField;
  return id !== undefined && !columns.includes(id) ? [...columns, id] : columns;
}

/** The field names of the batch's writing records (deletes carry only the identity); config error when they differ. */
function fieldSet(batch: WriteBatch): string[] | null {
  let fields: string[] | null = null;
  for (const r of batch.records) {
    const names = Object.keys(r.fields);
    for (const n of names) if (RESERVED.has(n)) throw configError(`field "${n}" is reserved by the file export; rename it in the mapping`, { path: 'mapping' });
    if (r.op === 'delete') continue;
    if (fields === null) fields = names;
    else if (!sameSet(fields, names)) {
      throw configError(`records of one batch to ${batch.object} have different fields ([${fields.join(', ')}] and [${names.join(', ')}]); an export needs one set of columns`, { path: 'mapping' });
    }
  }
  return fields;
}

/** Refuses a CSV batch whose columns differ from an earlier part of the same run. */
async function assertSameColumns(dir: string, runId: string, fields: string[], known: Map<string, string[] | null>): Promise<void> {
  if (!known.has(runId)) {
    const prefix = safeName(`${runId}:`);
    let earlier: string[] | null = null;
    for (const name of await listDir(dir).catch(() => [])) {
      if (!name.startsWith(prefix) || !name.endsWith('.part')) continue;
      const header = JSON.parse((await readFirstLine(path.join(dir, name))) ?? '{}') as PartHeader;
      if (header.fields) {
        earlier = header.fields;
        break;
      }
    }
    known.set(runId, earlier);
  }
  const earlier = known.get(runId);
  if (earlier && !sameSet(earlier, fields)) {
    throw configError(`this batch has fields [${fields.join(', ')}] but earlier batches of the run have [${earlier.join(', ')}]; a CSV export needs one set of columns per run`, { path: 'mapping' });
  }
  if (!earlier) known.set(runId, fields);
}

/** One part line, or why this record cannot be written. Reasons name fields, never values. */
function serialize(line: PartLine): string | { reason: string } {
  for (const [name, value] of Object.entries(line.f)) {
    let nonFinite = false;
    try {
      JSON.stringify(value, (_k, v: unknown) => {
        if (typeof v === 'number' && !Number.isFinite(v)) nonFinite = true;
        return jsonSafe(_k, v);
      });
    } catch {
      return { reason: `field "${name}" cannot be serialized (a circular or unsupported value)` };
    }
    // JSON.stringify would quietly turn these into null: refuse rather than export a wrong value.
    if (nonFinite) return { reason: `field "${name}" is or holds NaN or Infinity, which JSON and CSV cannot represent` };
  }
  return JSON.stringify(line, jsonSafe);
}

// bigint is not JSON: its decimal text keeps every digit.
const jsonSafe = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/** A CSV field, RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled. */
export function csvValue(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Percent-encodes everything but `[A-Za-z0-9._-]`: injective, and never a path separator. */
export function safeName(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The run id of a batch key `${runId}:${destination}:${firstSeq}`. */
const runOf = (idempotencyKey: string) => idempotencyKey.split(':')[0];

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
