import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

/** Patterns of personal data and credentials that must never reach a log line. */
const REDACTIONS: Array<[RegExp, string]> = [
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, '<email>'],
  [/\+?\d[\d ().-]{7,}\d/g, '<phone>'],
  [/(postgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]+@/g, '$1<secret>@'],
  [/\b(Bearer\s+|token=|password=|secret=)[^\s&"']+/gi, '$1<secret>'],
];

/** Removes emails, phone numbers and credentials from a string. */
export function redact(text: string): string {
  return REDACTIONS.reduce((t, [re, by]) => t.replace(re, by), text);
}

function redactValue(v: unknown): unknown {
  if (typeof v === 'string') return redact(v);
  if (Array.isArray(v)) return v.map(redactValue);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactValue(x)]));
  return v;
}

/**
 * The worker's logger: structured JSON lines on stderr, with personal data and credentials
 * redacted from the message and every metadata value. ebb never logs rows, but errors from
 * vendors and drivers can quote them: this is the last line of defence.
 */
export function redactingLogger(level: LogLevel = 'INFO'): DefaultLogger {
  return new DefaultLogger(level, (entry: LogEntry) => {
    const meta = entry.meta ? (redactValue(entry.meta) as Record<string, unknown>) : undefined;
    process.stderr.write(`${JSON.stringify({ time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(), level: entry.level, message: redact(entry.message), ...meta })}\n`);
  });
}
