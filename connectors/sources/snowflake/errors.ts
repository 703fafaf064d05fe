import { authError, configError, EbbError, transientError } from '../../../domain/errors';
import { redactValues } from '../redact';

/** snowflake-sdk errors carry Snowflake's code (`390100`, `002003`) and sometimes a SQL state. */
interface SnowflakeFailure {
  code?: string | number;
  sqlState?: string;
  message?: string;
}

/** A failure as an {@link EbbError}: auth (390100…), a missing object (002003), bad SQL, or the network. */
export function toEbbError(err: unknown, site: { source: string; object: string }): EbbError {
  if (err instanceof EbbError) return err;
  const e = err as SnowflakeFailure;
  const code = String(e.code ?? '');
  const said = `${code ? `${code}: ` : ''}${redactValues(String(e.message ?? err).split('\n').join(' '))}`;
  const path = site.object;
  if (/^3901\d\d$/.test(code) || code === '390144') {
    return authError(`${site.source}: the credentials were refused (${said}); check \`username\` and the password the connection references`, { path });
  }
  if (code === '002003') return configError(`${site.source}: ${site.object} does not exist or is not authorized (${said}); check the name, and GRANT SELECT (with USAGE on its database and schema) to the role`, { path });
  if (/^00\d{4}$/.test(code) || e.sqlState?.startsWith('42')) return configError(`${site.source}: ${said}`, { path });
  return transientError(`${site.source}: ${said}`, { path, cause: err });
}
