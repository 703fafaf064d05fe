import { authError, configError, dataError, type EbbError, isEbbError, transientError } from '../../../domain/errors';

/** What an error message may say about where it happened: never the URL (it carries the password). */
export interface PgErrorSite {
  /** The table, as `schema.name`. */
  table: string;
  /** `host:port`. */
  server: string;
}

interface PgErrorLike {
  code?: string;
  message: string;
  column?: string;
}

const asPgError = (err: unknown): PgErrorLike | undefined =>
  err instanceof Error ? (err as Error & PgErrorLike) : undefined;

const sqlstateOf = (err: unknown): string | undefined => {
  const code = asPgError(err)?.code;
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};

/**
 * True when PostgreSQL refused the statement because of the data in some row (class 21
 * cardinality, 22 data exception, 23 integrity constraint, P0 a trigger's RAISE): splitting the
 * batch isolates the bad rows, so the good ones can still be written.
 */
export function isRowDataError(err: unknown): boolean {
  const code = sqlstateOf(err);
  return code !== undefined && /^(21|22|23|P0)/.test(code);
}

/** A rejection reason naming the column or constraint and the SQLSTATE, never a value. */
export function rowRejectionReason(err: unknown, values: Record<string, unknown>): string {
  const e = asPgError(err);
  const code = sqlstateOf(err) ?? 'unknown';
  const text = code === '23502' && e?.column ? `null value in column "${e.column}" violates not-null constraint` : redactQuoted(e?.message ?? String(err));
  return `${redactValues(text, values)} (SQLSTATE ${code})`;
}

/**
 * Maps a failure of a whole statement or connection to an {@link EbbError} whose kind tells the
 * runner what to do. PostgreSQL's DETAIL ("Failing row contains (…)") is never used, and
 * quoted values in messages are redacted.
 */
export function toEbbError(err: unknown, site: PgErrorSite): EbbError {
  if (isEbbError(err)) return err;
  const path = `table ${site.table}`;
  const e = asPgError(err);
  const message = redactQuoted(e?.message ?? String(err));
  const code = sqlstateOf(err);
  // Only keep the original error as the cause when it cannot carry row values in its detail.
  const cause = code !== undefined && isRowDataError(err) ? undefined : err;
  const o = { path, cause };
  if (code === '28P01' || code === '28000') {
    return authError(`postgres at ${site.server} refused the credentials (${message}, SQLSTATE ${code}); fix the user or password in the secret connection.url references`, o);
  }
  if (code === '42501') {
    return authError(`the database user may not write table ${site.table} (${message}); GRANT INSERT, UPDATE, DELETE on it to the user in connection.url`, o);
  }
  if (code === '42P01') return configError(`table ${site.table} does not exist in database; create it or fix \`object\``, o);
  if (code === '3F000') return configError(`schema of table ${site.table} does not exist in database; create it or fix \`object\` / connection.schema`, o);
  if (code === '3D000') return configError(`the database in connection.url does not exist at ${site.server} (${message}); fix the secret it references`, o);
  if (code !== undefined) {
    if (/^(08|40|53|57|58|55P03|25|XX)/.test(code)) {
      return transientError(`postgres at ${site.server} failed writing table ${site.table}: ${message} (SQLSTATE ${code}); will retry`, o);
    }
    if (/^(42|0A|428)/.test(code)) {
      return configError(`table ${site.table} does not accept this write: ${message} (SQLSTATE ${code}); fix the mapping or the table`, o);
    }
    if (isRowDataError(err)) return dataError(`table ${site.table} refused the batch: ${message} (SQLSTATE ${code}); fix the data or the table`, o);
    return transientError(`postgres failed writing table ${site.table}: ${message} (SQLSTATE ${code})`, o);
  }
  const sys = e?.code;
  if (sys === 'ENOTFOUND') return configError(`cannot resolve the postgres host ${site.server}; fix the host in the secret connection.url references`, o);
  if (sys === 'ECONNREFUSED' || sys === 'ECONNRESET' || sys === 'ETIMEDOUT' || sys === 'EPIPE' || sys === 'EHOSTUNREACH' || sys === 'ENETUNREACH' || sys === 'EAI_AGAIN') {
    return transientError(`cannot reach postgres at ${site.server} (${sys}) to write table ${site.table}; will retry`, o);
  }
  // pg's own connection failures ("Connection terminated unexpectedly", connect timeouts) and anything unknown: a retry may help, and the retry policy bounds the cost.
  return transientError(`postgres at ${site.server} failed writing table ${site.table}: ${message}`, o);
}

// A quoted string right after one of these words names a database object, not a value.
const IDENTIFIER_BEFORE = /\b(column|constraint|relation|table|type|index|schema|function|role|database|domain|trigger|view|sequence|operator|user)\s+$/i;

/** Replaces quoted values in a PostgreSQL message (`invalid input syntax for type integer: "abc"`), keeping quoted identifiers. */
export function redactQuoted(message: string): string {
  return message.replace(/"(?:[^"]|"")*"/g, (quoted, offset: number) =>
    IDENTIFIER_BEFORE.test(message.slice(Math.max(0, offset - 24), offset)) ? quoted : '"…"',
  );
}

/** Removes the row's own values from a text, in case a trigger or an odd message quoted one unquoted. */
function redactValues(text: string, values: Record<string, unknown>): string {
  const needles = Object.values(values)
    .filter((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint')
    .map(String)
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length);
  return needles.reduce((t, n) => t.split(n).join('…'), text);
}
