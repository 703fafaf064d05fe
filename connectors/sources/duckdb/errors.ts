/**
 * DuckDB failures mapped to ebb's kinds. DuckDB reports errors as plain `Error`s whose
 * message starts with a class (`Catalog Error: …`), so the class decides the kind.
 */
import type { EbbError } from '../../../domain/errors';
import { configError, dataError, fatalError, isEbbError, transientError } from '../../../domain/errors';
import { redactValues } from '../redact';

/** Where a DuckDB error happened: the source (its file) and the object being read. */
export interface DuckdbErrorScope {
  /** `duckdb source /abs/warehouse.duckdb` */
  source: string;
  /** `table "people"`, `model (sql)`, `database file` */
  object: string;
}

const CLASS = /^([A-Za-z][A-Za-z ]*?) Error: /;

/** The first line of DuckDB's message: the rest is a caret diagram of the SQL. */
function headline(message: string): string {
  return message.split('\n')[0].trim();
}

/** Maps anything a DuckDB call threw to an {@link EbbError} naming the source and object. */
export function mapDuckdbError(err: unknown, scope: DuckdbErrorScope): EbbError {
  if (isEbbError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const line = headline(message);
  const kind = CLASS.exec(line)?.[1]?.toLowerCase() ?? '';
  const at = `${scope.source}: ${scope.object}`;
  const o = { path: scope.object, cause: err };
  switch (kind) {
    case 'catalog':
    case 'binder':
    case 'parser':
    case 'permission':
    case 'not implemented':
    case 'syntax':
      return configError(`${at}: ${line}`, o);
    case 'conversion':
    case 'invalid input':
    case 'out of range':
    case 'constraint':
      // The cause holds the unredacted message, so it is left off.
      return dataError(`${at}: the model failed on its data: ${redactValues(line)}`, { path: scope.object });
    case 'out of memory':
      return configError(`${at}: ${line} (raise memoryLimit, or simplify the model)`, o);
    case 'io':
      if (/could not set lock/i.test(line)) {
        return transientError(`${scope.source}: the database file is locked by another process writing it; will retry`, o);
      }
      if (/does not exist|no such file|permission denied|not a valid duckdb database/i.test(line)) {
        return configError(`${at}: ${line}`, o);
      }
      return transientError(`${at}: ${line}`, o);
    case 'connection':
      if (/different configuration/i.test(line)) {
        // Another source in this worker holds the file with other settings; it will let go.
        return transientError(`${scope.source}: the file is open in this worker with different readOnly/memoryLimit/threads; will retry`, o);
      }
      return transientError(`${at}: ${line}`, o);
    case 'interrupt':
      return transientError(`${at}: the query was interrupted`, o);
    case 'internal':
    case 'fatal':
      return fatalError(`${at}: ${line}`, o);
    default:
      return transientError(`${at}: ${line}`, o);
  }
}
