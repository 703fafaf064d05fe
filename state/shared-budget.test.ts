import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase } from '../test/helpers/postgres';
import { openPostgresDriver } from './postgres-driver';
import { recoveredFactor, SharedRequestBudget } from './shared-budget';
import type { SqlDriver } from './sql-driver';

describe('shared request budget (PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const drivers: SqlDriver[] = [];
  /** Two budgets on separate pools: two workers sharing one account. */
  let workers: SharedRequestBudget[];

  before(async () => {
    db = await createTestDatabase('ebb_budget');
    for (let i = 0; i < 2; i++) drivers.push(await openPostgresDriver(db.url, { poolSize: 4 }));
    workers = drivers.map((d) => new SharedRequestBudget(d));
  });
  after(async () => {
    for (const d of drivers) await d.close();
    await db?.drop();
  });

  it('two workers together never exceed the limit in any rolling window, and use most of it', async () => {
    const limit = { requests: 10, perMs: 1000 };
    const times: number[] = [];
    const started = Date.now();
    // 4 concurrent callers per worker, 8 in all, 30 calls in all.
    let left = 30;
    const caller = async (b: SharedRequestBudget) => {
      while (left > 0) {
        left--;
        await b.take('hubspot:portal-1', limit);
        times.push(Date.now());
      }
    };
    await Promise.all(workers.flatMap((w) => [caller(w), caller(w), caller(w), caller(w)]));
    const elapsed = Date.now() - started;
    times.sort((a, b) => a - b);
    for (let i = 0; i + limit.requests < times.length; i++) {
      // calls i and i+10 must be more than a window apart (allowing for this host's clock vs the database's)
      assert.ok(times[i + limit.requests] - times[i] >= limit.perMs - 50, `11 calls within ${times[i + limit.requests] - times[i]} ms`);
    }
    // 30 calls at 10/s: the first 10 at once, then two more windows; generous upper bound for a loaded machine.
    assert.ok(elapsed >= 2000 && elapsed < 4500, `30 calls took ${elapsed} ms`);
  });

  it('a 429 blocks every worker for Retry-After, then the rate is halved and recovers', async () => {
    const limit = { requests: 100, perMs: 1000 };
    await workers[0].penalize('sf:org-1', 600);
    const t0 = Date.now();
    const waited = await workers[1].take('sf:org-1', limit);
    assert.ok(Date.now() - t0 >= 500, 'the other worker waited for Retry-After');
    assert.ok(waited >= 500);
    const [a] = await drivers[0].query(`SELECT rate_factor FROM ebb_budget_accounts WHERE account = 'sf:org-1'`);
    assert.equal(Number(a.rate_factor), 0.5);
    assert.equal(recoveredFactor(0.5, 1_000, 1_500, 1_000), 0.5, 'not a whole quiet window yet');
    assert.equal(recoveredFactor(0.5, 1_000, 3_100, 1_000), 0.7);
    assert.equal(recoveredFactor(0.5, 1_000, 99_000, 1_000), 1);
  });

  it('accounts are independent', async () => {
    const limit = { requests: 1, perMs: 60_000 };
    await workers[0].take('a:1', limit);
    const t0 = Date.now();
    await workers[1].take('a:2', limit);
    assert.ok(Date.now() - t0 < 1000, 'another account does not wait');
  });
});
