import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError } from './client';
import { overlapPolicy, scheduleSpecFrom } from './schedule-options';

describe('schedule flags', () => {
  it('builds cron and interval specs with time zone, jitter, SKIP overlap and a catch-up window', () => {
    assert.deepEqual(scheduleSpecFrom({ cron: ['0 6 * * 1-5'], every: ['15m'], tz: 'Europe/Paris', jitter: '30s', catchupWindow: '10m' }), {
      spec: { cronExpressions: ['0 6 * * 1-5'], intervals: [{ every: 900_000 }], timezone: 'Europe/Paris', jitter: 30_000 },
      policies: { overlap: 'SKIP', catchupWindow: 600_000 },
    });
  });

  it('defaults the overlap policy to SKIP (one run of a sync at a time)', () => {
    assert.equal(scheduleSpecFrom({ every: ['1h'] }).policies.overlap, 'SKIP');
    assert.equal(overlapPolicy('buffer-one'), 'BUFFER_ONE');
  });

  it('names the flag at fault', () => {
    const cases: Array<[Parameters<typeof scheduleSpecFrom>[0], RegExp]> = [
      [{}, /--cron .* --every/],
      [{ cron: ['* *'] }, /--cron "\* \*": use five fields/],
      [{ every: ['soon'] }, /--every "soon"/],
      [{ every: ['1h'], tz: 'Mars/Olympus' }, /--tz "Mars\/Olympus"/],
      [{ every: ['1h'], overlap: 'whenever' }, /--overlap: unknown policy/],
      [{ every: ['1h'], catchupWindow: 'x' }, /--catchup-window "x"/],
    ];
    for (const [flags, message] of cases) {
      assert.throws(() => scheduleSpecFrom(flags), (e: unknown) => e instanceof CliError && e.exitCode === 2 && message.test(e.message));
    }
  });
});
