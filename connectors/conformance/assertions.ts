import assert from 'node:assert/strict';
import { isEbbError, type EbbError } from '../../domain/errors';
import type { Row, Source } from '../types';

/** Awaits a promise that must reject with an {@link EbbError}, and returns that error. */
export async function rejection(p: Promise<unknown>): Promise<EbbError> {
  const err = await p.then(
    () => assert.fail('expected the call to fail'),
    (e: unknown) => e,
  );
  assert.ok(isEbbError(err), `expected an EbbError, got ${String(err)}`);
  return err;
}

/** Every row of a SQL model, read through a source (small models only: it collects them). */
export async function readRows(source: Source, sql: string): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of source.read({ model: { sql } })) rows.push(...batch);
  return rows;
}
