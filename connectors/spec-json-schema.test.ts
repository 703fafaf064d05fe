import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { specJsonSchema } from './spec-json-schema';

describe('JSON Schema of sync specs', () => {
  it('is generated from the zod schema and the committed copy is current (run `npm run schema`)', async () => {
    const committed = JSON.parse(await readFile(path.resolve(__dirname, '../syncs/sync-spec.schema.json'), 'utf8'));
    assert.deepEqual(committed, specJsonSchema());
  });

  it('describes the fields editors complete', () => {
    const s = specJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    for (const k of ['name', 'source', 'model', 'primaryKey', 'changeDetection', 'destinations']) assert.ok(k in s.properties, k);
    assert.deepEqual([...s.required].sort(), ['destinations', 'model', 'name', 'primaryKey', 'source']);
  });
});
