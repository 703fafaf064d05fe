import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { destinationConformance, type DestinationContents } from '../../conformance/destination-suite';
import { createConnectorContext } from '../../context';
import type { Destination, RecordWrite, WriteBatch } from '../../types';
import { fileDestination } from './index';
import { rejection } from '../../conformance/assertions';

// One temporary base directory for the file; configs use paths relative to it, as specs do.
let base: string;
const ctx = () => createConnectorContext({ baseDir: base });
before(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'ebb-file-dest-'));
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

for (const format of ['jsonl', 'csv'] as const) {
  const directory = `exports-${format}`;
  destinationConformance({
    connector: fileDestination,
    makeConfig: () => ({ directory, format }),
    requiredFields: ['directory'],
    // A file export has no secrets, so no inline-secret case.
    secretFields: [],
    object: 'audience',
    idField: 'id',
    makeContext: ctx,
    readAll: () => replay(path.join(base, directory), 'audience', format),
    // There is no "missing" file object: the closest is a name check() must refuse.
    missingObject: '../escape',
    faults: {
      // JSON and CSV cannot hold NaN: the row is refused rather than exported as null.
      rejectRow: () => ({ name: Number.NaN }),
      // No rateLimited or badAuth fault: a local directory neither rate-limits nor authenticates
      // (and the tests run as root, so permissions cannot be made to fail either).
    },
  });
}

describe('file destination: specifics', () => {
  let seq = 0;
  let n = 0;
  const open = (over: Record<string, unknown> = {}): Destination =>
    fileDestination.create(fileDestination.configSchema.parse({ directory: `specifics-${++n}`, ...over }), ctx());
  const dirOf = () => path.join(base, `specifics-${n}`);
  const batch = (runId: string, records: Omit<RecordWrite, 'seq'>[], object = 'people'): WriteBatch => {
    const recs = records.map((r) => ({ ...r, seq: ++seq }));
    return { object, idField: 'id', records: recs, idempotencyKey: `${runId}:files:${recs[0]?.seq}` };
  };
  const up = (id: number, fields: Record<string, unknown>): Omit<RecordWrite, 'seq'> => ({ key: String(id), op: 'upsert', fields: { id, ...fields } });
  const del = (id: number): Omit<RecordWrite, 'seq'> => ({ key: String(id), op: 'delete', fields: { id } });

  it('assembles a JSONL export in seq order, whatever order the parts were written in, and removes the parts', async () => {
    const d = open();
    const first = batch('run-1', [up(1, { email: 'a@x.org', score: 1.5 }), up(2, { email: 'b@x.org', score: null })]);
    const second = batch('run-1', [del(3), up(4, { email: 'd@x.org', score: 7 })]);
    assert.equal((await d.write(second)).results.length, 2);
    assert.equal((await d.write(first)).results.length, 2);
    await d.finalize!({ runId: 'run-1', object: 'people' });
    assert.equal(
      await readFile(path.join(dirOf(), 'people-run-1.jsonl'), 'utf8'),
      [
        '{"_op":"upsert","_key":"1","id":1,"email":"a@x.org","score":1.5}',
        '{"_op":"upsert","_key":"2","id":2,"email":"b@x.org","score":null}',
        '{"_op":"delete","_key":"3","id":3}',
        '{"_op":"upsert","_key":"4","id":4,"email":"d@x.org","score":7}',
        '',
      ].join('\n'),
    );
    assert.deepEqual(await readdir(path.join(dirOf(), '.parts', 'people')), []);
  });

  it('writes RFC 4180 CSV: header, CRLF, quoting, deletes with only the identity', async () => {
    const d = open({ format: 'csv' });
    const b = batch('run-csv', [
      up(1, { name: 'Smith, Jane', note: 'says "hi"', tags: ['a', 'b'], big: 12345678901234567890n }),
      up(2, { name: 'line\nbreak', note: null, tags: [], big: 1n }),
      del(3),
    ]);
    assert.deepEqual((await d.write(b)).results.map((r) => r.status), ['ok', 'ok', 'ok']);
    await d.finalize!({ runId: 'run-csv', object: 'people' });
    assert.equal(
      await readFile(path.join(dirOf(), 'people-run-csv.csv'), 'utf8'),
      '_op,_key,id,name,note,tags,big\r\n' +
        'upsert,1,1,"Smith, Jane","says ""hi""","[""a"",""b""]",12345678901234567890\r\n' +
        'upsert,2,2,"line\nbreak",,[],1\r\n' +
        'delete,3,3,,,,\r\n',
    );
  });

  it('rewriting a batch before finalize replaces its part: no duplicate lines', async () => {
    const d = open();
    const b = batch('run-dup', [up(1, { v: 1 }), up(2, { v: 2 })]);
    await d.write(b);
    await d.write(b);
    await d.finalize!({ runId: 'run-dup', object: 'people' });
    const lines = (await readFile(path.join(dirOf(), 'people-run-dup.jsonl'), 'utf8')).trim().split('\n');
    assert.equal(lines.length, 2);
  });

  it('finalize is idempotent, and recovers from a crash before or after the rename', async () => {
    const d = open();
    const parts = path.join(dirOf(), '.parts', 'people');
    const out = path.join(dirOf(), 'people-run-f.jsonl');
    await d.write(batch('run-f', [up(1, { v: 1 })]));
    await d.write(batch('run-f', [up(2, { v: 2 })]));
    // A crash mid-write leaves a temporary file: it must not be taken for a part.
    await writeFile(path.join(parts, 'run-f%3Afiles%3A999.part.tmp-1-dead'), '{"v":1,"firstSeq":0');
    const saved = await mkdtemp(path.join(base, 'saved-'));
    for (const p of await readdir(parts)) await copyFile(path.join(parts, p), path.join(saved, p));

    await d.finalize!({ runId: 'run-f', object: 'people' });
    const content = await readFile(out, 'utf8');
    assert.equal(content.trim().split('\n').length, 2);
    assert.deepEqual(await readdir(parts), [], 'parts and temporary files are removed');
    const mtime = (await stat(out)).mtimeMs;

    await d.finalize!({ runId: 'run-f', object: 'people' });
    assert.equal((await stat(out)).mtimeMs, mtime, 'a second finalize is a no-op');

    // Crash after the rename, before every part was removed: the export stands, leftovers go.
    const [onePart] = (await readdir(saved)).filter((p) => p.endsWith('.part'));
    await copyFile(path.join(saved, onePart), path.join(parts, onePart));
    await d.finalize!({ runId: 'run-f', object: 'people' });
    assert.equal(await readFile(out, 'utf8'), content);
    assert.deepEqual(await readdir(parts), []);

    // Crash before the rename: parts are all there, no export yet: it is assembled again, the same.
    await rm(out);
    for (const p of await readdir(saved)) await copyFile(path.join(saved, p), path.join(parts, p));
    await d.finalize!({ runId: 'run-f', object: 'people' });
    assert.equal(await readFile(out, 'utf8'), content);
  });

  it('a run takes only its own parts; a run with no parts writes no file', async () => {
    const d = open();
    await d.write(batch('run-a', [up(1, { v: 'a' })]));
    await d.write(batch('run-b', [up(2, { v: 'b' })]));
    await d.finalize!({ runId: 'run-a', object: 'people' });
    assert.equal(await readFile(path.join(dirOf(), 'people-run-a.jsonl'), 'utf8'), '{"_op":"upsert","_key":"1","id":1,"v":"a"}\n');
    assert.equal((await readdir(path.join(dirOf(), '.parts', 'people'))).length, 1, "run-b's part is untouched");
    await d.finalize!({ runId: 'run-empty', object: 'people' });
    assert.deepEqual((await readdir(dirOf())).sort(), ['.parts', 'people-run-a.jsonl']);
  });

  it('CSV: batches of one run with different fields are a config error', async () => {
    const d = open({ format: 'csv' });
    await d.write(batch('run-c', [up(1, { a: 1 })]));
    assert.equal((await rejection(d.write(batch('run-c', [up(2, { b: 1 })])))).kind, 'config');
    const fresh = open({ format: 'csv', directory: `specifics-${n}` }); // a new instance reads the parts on disk
    const err = await rejection(fresh.write(batch('run-c', [up(3, { a: 1, b: 2 })])));
    assert.match(err.message, /earlier batches of the run have \[id, a\]/);
    assert.equal((await rejection(d.write(batch('run-c2', [up(4, { a: 1 }), up(5, { b: 1 })])))).kind, 'config');
  });

  it('refuses reserved field names', async () => {
    const err = await rejection(open().write(batch('run-r', [up(1, { _op: 'x' })])));
    assert.equal(err.kind, 'config');
    assert.match(err.message, /field "_op" is reserved/);
  });

  it('check() fails with a config error when the directory cannot be created', async () => {
    await writeFile(path.join(base, 'a-file'), 'in the way');
    const err = await rejection(open({ directory: 'a-file/exports' }).check('people'));
    assert.equal(err.kind, 'config');
    assert.match(err.message, /a-file\/exports.*\((ENOTDIR|EEXIST)\); fix connection\.directory/);
  });

  it('finalize streams: live memory stays flat on a large run', async () => {
    const d = open();
    const pad = 'x'.repeat(200);
    for (let p = 0; p < 40; p++) {
      await d.write(batch('run-big', Array.from({ length: 2_000 }, (_, i) => up(p * 2_000 + i, { pad, i }))));
    }
    // Live heap (after a full GC), sampled while finalize runs: reading the run into memory would show.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const sampler = setInterval(() => {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 20);
    try {
      await d.finalize!({ runId: 'run-big', object: 'people' });
    } finally {
      clearInterval(sampler);
    }
    const size = (await stat(path.join(dirOf(), 'people-run-big.jsonl'))).size;
    assert.ok(size > 20e6, `export is ${size} bytes`);
    assert.ok(peak - baseline < 8e6, `live heap grew ${Math.round((peak - baseline) / 1e6)} MB for a ${Math.round(size / 1e6)} MB export`);
  });
});

/** Replays a directory's exports of `object` in run order: the state a consumer would rebuild. */
async function replay(dir: string, object: string, format: 'jsonl' | 'csv'): Promise<DestinationContents> {
  const state: DestinationContents = new Map();
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.startsWith(`${object}-`) && f.endsWith(`.${format}`)).sort();
  for (const f of files) {
    const text = await readFile(path.join(dir, f), 'utf8');
    const rows = format === 'jsonl' ? text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : parseCsv(text);
    for (const { _op, _key, ...fields } of rows) {
      void _key;
      if (_op === 'delete') state.delete(String(fields.id));
      else state.set(String(fields.id), fields);
    }
  }
  return state;
}

/** A small RFC 4180 reader, independent of the writer under test. */
function parseCsv(text: string): Record<string, unknown>[] {
  const records: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      records.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  const [header, ...body] = records;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}


