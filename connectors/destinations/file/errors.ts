import { configError, type EbbError, isEbbError, transientError } from '../../../domain/errors';

// Codes no retry can fix: the path or its permissions are wrong.
const CONFIG_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'EISDIR', 'ENAMETOOLONG', 'ELOOP']);

/** A file-system failure as an {@link EbbError}: permission and path problems are config, the rest (ENOSPC, EIO…) transient. */
export function fsError(err: unknown, what: string): EbbError {
  if (isEbbError(err)) return err;
  const code = (err as NodeJS.ErrnoException)?.code ?? 'error';
  if (CONFIG_CODES.has(code)) {
    return configError(`${what} failed (${code}); fix connection.directory or its permissions`, { cause: err, path: 'connection.directory' });
  }
  return transientError(`${what} failed (${code}); will retry`, { cause: err, path: 'connection.directory' });
}

/** `object` becomes part of file names: only plain names are accepted, so nothing escapes the directory. */
export function assertObjectName(object: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(object) || object.length > 100) {
    throw configError(`object "${object}" is not a usable file name; use letters, digits, ".", "_" and "-", starting with a letter or digit`, { path: 'object' });
  }
}
