import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryRequestBudget } from './memory-budget';

describe('in-process request budget', () => {
  it('keeps every rolling window within the limit across concurrent callers', async () => {
    const b = new MemoryRequestBudget();
    const limit = { requests: 5, perMs: 400 };
    const times: number[] = [];
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 4; i++) {
        await b.take('acct', limit);
        times.push(Date.now());
      }
    }));
    times.sort((x, y) => x - y);
    for (let i = 0; i + 5 < times.length; i++) assert.ok(times[i + 5] - times[i] >= 400 - 20, `6 calls within ${times[i + 5] - times[i]} ms`);
  });

  it('a penalty blocks the account for Retry-After and halves the rate until quiet windows pass', async () => {
    let now = 1_000_000;
    const b = new MemoryRequestBudget(() => now);
    const limit = { requests: 10, perMs: 1000 };
    await b.penalize('acct', 500);
    const waiting = b.take('acct', limit);
    now += 600; // the sleeps are real, the clock is ours: time moved past Retry-After
    assert.ok((await waiting) >= 500);
    // halved: 5 calls fit in the window, the 6th must wait
    for (let i = 1; i < 5; i++) assert.equal(await b.take('acct', limit), 0);
    now += 2_000; // two quiet windows: +20% of the limit
    for (let i = 0; i < 7; i++) assert.equal(await b.take('acct', limit), 0, `call ${i} fits at 70%`);
  });
});
