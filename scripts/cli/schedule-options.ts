import type { ScheduleOptions } from '@temporalio/client';
import { parseDurationMs } from '../../domain/watermark';
import { CliError, ExitCode } from './client';

/** The `ebb schedule` flags that describe when a sync runs. */
export interface ScheduleFlags {
  cron?: string[];
  every?: string[];
  tz?: string;
  jitter?: string;
  overlap?: string;
  catchupWindow?: string;
}

/** Overlap policies by the names the CLI accepts. SKIP is the default: one run of a sync at a time. */
const OVERLAP = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
} as const;

/** Parses an overlap policy flag (`skip`, `buffer-one`, …). */
export function overlapPolicy(name: string | undefined, flag = '--overlap'): (typeof OVERLAP)[keyof typeof OVERLAP] {
  const key = (name ?? 'skip').toLowerCase() as keyof typeof OVERLAP;
  if (!(key in OVERLAP)) usage(`${flag}: unknown policy "${name}"; use one of ${Object.keys(OVERLAP).join(', ')}`);
  return OVERLAP[key];
}

/**
 * Turns flags into a Temporal schedule spec and policies. Every flag is checked here, with a
 * message naming it, before anything reaches Temporal.
 */
export function scheduleSpecFrom(f: ScheduleFlags): { spec: ScheduleOptions['spec']; policies: NonNullable<ScheduleOptions['policies']> } {
  const cron = f.cron ?? [];
  const every = f.every ?? [];
  if (cron.length === 0 && every.length === 0) usage('say when: --cron "0 * * * *" and/or --every 15m');
  for (const c of cron) {
    if (c.trim().split(/\s+/).length !== 5 && !c.startsWith('@')) usage(`--cron "${c}": use five fields (minute hour day-of-month month day-of-week) or @hourly/@daily`);
  }
  const intervals = every.map((e) => ({ every: duration(e, '--every') }));
  if (f.tz !== undefined && !validTimeZone(f.tz)) usage(`--tz "${f.tz}": not an IANA time zone (e.g. Europe/Paris)`);
  return {
    spec: {
      ...(cron.length ? { cronExpressions: cron } : {}),
      ...(intervals.length ? { intervals } : {}),
      ...(f.tz ? { timezone: f.tz } : {}),
      ...(f.jitter ? { jitter: duration(f.jitter, '--jitter') } : {}),
    },
    policies: {
      overlap: overlapPolicy(f.overlap),
      ...(f.catchupWindow ? { catchupWindow: duration(f.catchupWindow, '--catchup-window') } : {}),
    },
  };
}

function duration(value: string, flag: string): number {
  try {
    return parseDurationMs(value);
  } catch {
    return usage(`${flag} "${value}": use a duration like 30s, 15m, 2h or 1d`);
  }
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function usage(message: string): never {
  throw new CliError(message, ExitCode.usage);
}
