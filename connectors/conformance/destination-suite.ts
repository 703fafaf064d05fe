/**
 * The destination conformance suite: one call generates the standard node:test cases every
 * destination must pass. Cases run in order inside one `describe`, against the real system
 * (a database, an HTTP server, a directory), and check what landed through `readAll`, which
 * reads the destination's contents without going through the connector.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isEbbError, type EbbError, type ErrorKind } from '../../domain/errors';
import { syncModes } from '../../domain/spec/schema';
import { createConnectorContext } from '../context';
import type { ConnectorContext, Destination, DestinationConnector, RecordWrite, WriteBatch } from '../types';

/** A destination's contents: identity value (as a string) to the fields it holds. */
export type DestinationContents = Map<string, Record<string, unknown>>;

/** A raw connector config, as a spec's `connection` holds it (secret references, not values). */
export type RawConfig = Record<string, unknown>;

/** Options of {@link destinationConformance}. */
export interface DestinationConformanceOptions<C> {
  connector: DestinationConnector<C>;
  /** A valid raw config. Called once per case that needs one. */
  makeConfig(): Promise<RawConfig> | RawConfig;
  /** Top-level config fields that must be present. */
  requiredFields: readonly string[];
  /** Top-level config fields that are secret references. Empty when the connector has no secrets. */
  secretFields: readonly string[];
  /** The object the cases write to. It must exist after `setup`. */
  object: string;
  /** The identity field of `object`. */
  idField: string;
  /** Fields of a record the destination accepts. Default `{ [idField]: id, name: "<id> v<version>" }`. */
  fields?(id: string, version: number): Record<string, unknown>;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  /**
   * Reads the destination's actual contents through the real system. Destinations with
   * `finalize` are finalized before each read; the run ids the suite uses sort, as strings,
   * in the order they were written, so a reader can replay runs in that order.
   */
  readAll(): Promise<DestinationContents>;
  /**
   * Write-only membership lists (an ad platform's audience) hold a hash of the identity and no
   * fields: `readAll` is keyed by `contentKey(id)` and only membership is checked.
   */
  membership?: { contentKey(id: string): string };
  /** Default: {@link createConnectorContext} over `process.env` and the cwd. */
  makeContext?(): ConnectorContext;
  /** An object name `check()` must refuse with a config error (a missing table, an endpoint answering 404, an unusable file name). */
  missingObject?: string;
  /** Faults the real system can be made to produce. A case is generated only for a fault provided. */
  faults?: {
    /** Fields (besides the identity) the destination refuses for one record while accepting its neighbours. */
    rejectRow?(id: string): Record<string, unknown>;
    /** A raw config under which every write is answered 429 with a retry delay. */
    rateLimited?(): Promise<RawConfig> | RawConfig;
    /** A raw config whose credentials the destination refuses. */
    badAuth?(): Promise<RawConfig> | RawConfig;
  };
}

/** Generates the standard destination cases with node:test. Call it at a test file's top level. */
export function destinationConformance<C>(o: DestinationConformanceOptions<C>): void {
  const { connector, object, idField } = o;
  const fieldsOf = o.fields ?? ((id: string, version: number) => ({ [idField]: id, name: `${id} v${version}` }));
  // Unique per process, and sortable: runs are numbered in the order the cases write them.
  const prefix = `c${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  let seq = 0;
  let runs = 0;
  let ctx: ConnectorContext;
  let dest: Destination;

  const keyOf = (id: string) => o.membership?.contentKey(id) ?? id;
  /** The destination holds record `id` with `fields` (only membership, for membership lists). */
  const holds = (contents: DestinationContents, id: string, fields: Record<string, unknown>) => {
    if (o.membership) assert.ok(contents.has(keyOf(id)), `the list holds no member "${id}"`);
    else assertHolds(contents, id, fields);
  };
  const newRun = () => `${prefix}-${String(++runs).padStart(4, '0')}`;
  const idFor = (name: string) => `${prefix}-${name}`;
  const open = async (raw: RawConfig | Promise<RawConfig>) => connector.create(connector.configSchema.parse(await raw), ctx);
  const batch = (runId: string, records: Omit<RecordWrite, 'seq'>[]): WriteBatch => {
    const withSeq = records.map((r) => ({ ...r, seq: ++seq }));
    return { object, idField, records: withSeq, idempotencyKey: `${runId}:conformance:${withSeq[0]?.seq ?? seq}` };
  };
  const upsert = (id: string, version: number): Omit<RecordWrite, 'seq'> => ({ key: id, op: 'upsert', fields: fieldsOf(id, version) });
  /** Lets a destination that assembles its output at the end of a run (a file export) do so. */
  const settle = (d: Destination, runId: string) => d.finalize?.({ runId, object });

  describe(`${connector.kind} destination: conformance`, () => {
    before(async () => {
      await o.setup?.();
      ctx = o.makeContext?.() ?? createConnectorContext();
      dest = await open(o.makeConfig());
    });
    after(async () => {
      await dest?.close();
      await o.teardown?.();
    });

    it('declares a kind and supported modes', () => {
      assert.match(connector.kind, /^[a-z][a-z0-9-]*$/);
      assert.ok(connector.modes.length > 0);
      for (const m of connector.modes) assert.ok(syncModes.includes(m), `unknown mode ${m}`);
    });

    it('accepts its valid config', async () => {
      const parsed = connector.configSchema.safeParse(await o.makeConfig());
      assert.ok(parsed.success, parsed.error?.message);
    });

    for (const field of o.requiredFields) {
      it(`rejects a config missing "${field}", naming that path`, async () => {
        const { [field]: _gone, ...rest } = await o.makeConfig();
        assertIssueAt(connector.configSchema.safeParse(rest), field);
      });
    }

    for (const field of o.secretFields) {
      it(`rejects an inline secret in "${field}", naming that path and not echoing it`, async () => {
        const inline = 'inline-secret-value-5f3a';
        const parsed = connector.configSchema.safeParse({ ...(await o.makeConfig()), [field]: inline });
        assertIssueAt(parsed, field);
        assert.ok(!JSON.stringify(parsed.error?.issues).includes(inline), 'the inline secret is not echoed');
      });
    }

    it('rejects an unknown config field, naming it', async () => {
      const parsed = connector.configSchema.safeParse({ ...(await o.makeConfig()), notAField: 1 });
      assert.ok(!parsed.success);
      assert.match(JSON.stringify(parsed.error.issues), /notAField/);
    });

    it('check() passes on the object', async () => {
      await dest.check(object);
    });

    it('describe() names the object; any fields it lists include the identity field', async () => {
      const d = await dest.describe(object);
      assert.equal(d.object, object);
      if (d.fields.length > 0) {
        const id = d.fields.find((f) => f.name === idField);
        assert.ok(id, `describe() lists no "${idField}"`);
        assert.equal(id.identifier, true, `"${idField}" is not reported as an identifier`);
      }
    });

    it('an empty batch is a no-op with no results', async () => {
      const runId = newRun();
      const before = await o.readAll();
      const r = await dest.write(batch(runId, []));
      assert.deepEqual(r.results, []);
      await settle(dest, runId);
      assert.deepEqual(await o.readAll(), before);
    });

    it('upserts a batch: every record is ok and lands', async () => {
      const runId = newRun();
      const ids = [1, 2, 3].map((n) => idFor(`up${n}`));
      const b = batch(runId, ids.map((id) => upsert(id, 1)));
      const r = await dest.write(b);
      assertAllOk(r.results, b);
      await settle(dest, runId);
      const contents = await o.readAll();
      for (const id of ids) holds(contents, id, fieldsOf(id, 1));
    });

    it('a repeated batch is idempotent: the same contents after', async () => {
      const runId = newRun();
      const ids = [1, 2].map((n) => idFor(`rep${n}`));
      const b = batch(runId, ids.map((id) => upsert(id, 1)));
      assertAllOk((await dest.write(b)).results, b);
      await settle(dest, runId);
      const once = await o.readAll();
      assertAllOk((await dest.write(b)).results, b);
      await settle(dest, runId);
      assert.deepEqual(await o.readAll(), once);
      for (const id of ids) holds(once, id, fieldsOf(id, 1));
    });

    it('a key written in successive batches ends with the last value', async () => {
      const runId = newRun();
      const id = idFor('twice');
      const first = batch(runId, [upsert(id, 1)]);
      const second = batch(runId, [upsert(id, 2)]);
      assertAllOk((await dest.write(first)).results, first);
      assertAllOk((await dest.write(second)).results, second);
      await settle(dest, runId);
      holds(await o.readAll(), id, fieldsOf(id, 2));
    });

    it('readBack(), when offered, returns what landed for held ids and nothing for absent ones', async (t) => {
      if (!dest.readBack) {
        t.diagnostic(`${connector.kind} offers no readBack: canary read-back and before-images are not available with it`);
        return;
      }
      const runId = newRun();
      const [held, absent] = ['rb1', 'rb-absent'].map(idFor);
      const b = batch(runId, [upsert(held, 3)]);
      assertAllOk((await dest.write(b)).results, b);
      await settle(dest, runId);
      const fields = Object.keys(fieldsOf(held, 3)).filter((f) => f !== idField);
      const got = await dest.readBack({ object, idField, ids: [held, absent], fields });
      assert.ok(got.has(held), 'the written record is read back');
      assert.ok(!got.has(absent), 'an id the destination does not hold is absent');
      const expected = fieldsOf(held, 3);
      for (const f of fields) assert.equal(String(got.get(held)?.[f]), String(expected[f]), `field ${f} reads back as written`);
    });

    const rejectRow = o.faults?.rejectRow;
    if (rejectRow) {
      it('a per-row failure is returned as rejected with its seq, value-free; its neighbours land', async () => {
        const runId = newRun();
        const [good1, bad, good2] = ['rj1', 'rj2', 'rj3'].map(idFor);
        const badFields = { ...fieldsOf(bad, 1), ...rejectRow(bad), [idField]: bad };
        const b = batch(runId, [upsert(good1, 1), { key: bad, op: 'upsert', fields: badFields }, upsert(good2, 1)]);
        const r = await dest.write(b);
        assertOneResultEach(r.results, b);
        const bySeq = new Map(r.results.map((x) => [x.seq, x]));
        const badResult = bySeq.get(b.records[1].seq);
        assert.equal(badResult?.status, 'rejected', `the bad row: ${JSON.stringify(badResult)}`);
        assert.ok(badResult.reason.length > 0, 'a rejection carries a reason');
        for (const v of Object.values(badFields)) {
          if (typeof v === 'string' && v.length >= 6) assert.ok(!badResult.reason.includes(v), `the reason quotes a row value: ${badResult.reason}`);
        }
        assert.equal(bySeq.get(b.records[0].seq)?.status, 'ok');
        assert.equal(bySeq.get(b.records[2].seq)?.status, 'ok');
        await settle(dest, runId);
        const contents = await o.readAll();
        holds(contents, good1, fieldsOf(good1, 1));
        holds(contents, good2, fieldsOf(good2, 1));
        assert.ok(!contents.has(keyOf(bad)), 'the rejected row did not land');
      });
    }

    const rateLimited = o.faults?.rateLimited;
    if (rateLimited) {
      it('a 429 is a thrown rateLimit error carrying retryAfterMs', async () => {
        const d = await open(rateLimited());
        try {
          const err = await expectEbbError(d.write(batch(newRun(), [upsert(idFor('limited'), 1)])), 'rateLimit');
          assert.ok((err.retryAfterMs ?? 0) > 0, `retryAfterMs is ${err.retryAfterMs}`);
          assert.equal(err.nonRetryable, false);
        } finally {
          await d.close();
        }
        assert.ok(!(await o.readAll()).has(keyOf(idFor('limited'))));
      });
    }

    const badAuth = o.faults?.badAuth;
    if (badAuth) {
      it('refused credentials are a non-retryable auth error, from write() and check()', async () => {
        const d = await open(badAuth());
        try {
          const err = await expectEbbError(d.write(batch(newRun(), [upsert(idFor('noauth'), 1)])), 'auth');
          assert.equal(err.nonRetryable, true);
          await expectEbbError(d.check(object), 'auth');
        } finally {
          await d.close();
        }
        assert.ok(!(await o.readAll()).has(keyOf(idFor('noauth'))));
      });
    }

    if (connector.modes.includes('mirror')) {
      it('deletes remove records (mirror mode), and leave the others', async () => {
        const [gone, kept] = ['del1', 'del2'].map(idFor);
        const runA = newRun();
        const a = batch(runA, [upsert(gone, 1), upsert(kept, 1)]);
        assertAllOk((await dest.write(a)).results, a);
        await settle(dest, runA);
        assert.ok((await o.readAll()).has(keyOf(gone)));
        const runB = newRun();
        const b = batch(runB, [{ key: gone, op: 'delete', fields: { [idField]: gone } }]);
        assertAllOk((await dest.write(b)).results, b);
        await settle(dest, runB);
        const contents = await o.readAll();
        assert.ok(!contents.has(keyOf(gone)), 'the deleted record is gone');
        holds(contents, kept, fieldsOf(kept, 1));
      });
    }

    const missing = o.missingObject;
    if (missing !== undefined) {
      it('check() on a missing object is a config error naming it', async () => {
        const err = await expectEbbError(dest.check(missing), 'config');
        assert.ok(err.message.includes(missing), `the message names the object: ${err.message}`);
        assert.equal(err.nonRetryable, true);
      });
    }

    it('close() can be called twice', async () => {
      const d = await open(o.makeConfig());
      await d.check(object);
      await d.close();
      await d.close();
    });
  });
}

function assertIssueAt(parsed: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }, field: string): void {
  assert.equal(parsed.success, false, `a config with a bad "${field}" was accepted`);
  const paths = parsed.error?.issues.map((i) => i.path.join('.')) ?? [];
  assert.ok(paths.some((p) => p === field || p.startsWith(`${field}.`)), `no issue at "${field}"; issues at: ${paths.join(', ')}`);
}

function assertOneResultEach(results: readonly { seq: number }[], b: WriteBatch): void {
  assert.deepEqual(results.map((r) => r.seq).sort((x, y) => x - y), b.records.map((r) => r.seq).sort((x, y) => x - y), 'one result per record');
}

function assertAllOk(results: readonly { seq: number; status: string }[], b: WriteBatch): void {
  assertOneResultEach(results, b);
  for (const r of results) assert.equal(r.status, 'ok', `seq ${r.seq}: ${JSON.stringify(r)}`);
}

function assertHolds(contents: DestinationContents, id: string, fields: Record<string, unknown>): void {
  const held = contents.get(id);
  assert.ok(held, `the destination holds no record "${id}"`);
  for (const [k, v] of Object.entries(fields)) assert.deepEqual(held[k], v, `record "${id}" field "${k}"`);
}

async function expectEbbError(p: Promise<unknown>, kind: ErrorKind): Promise<EbbError> {
  const err = await p.then(
    () => assert.fail(`expected an EbbError of kind ${kind}, but the call succeeded`),
    (e: unknown) => e,
  );
  assert.ok(isEbbError(err), `expected an EbbError of kind ${kind}, got ${String(err)}`);
  assert.equal(err.kind, kind, `kind ${err.kind}: ${err.message}`);
  return err;
}
