import { authError, configError, EbbError, rateLimitError, transientError } from '../../../domain/errors';

/** A gRPC error as google-gax raises it: code, message, and decoded status details. */
export interface GaxFailure {
  code?: number;
  message?: string;
  details?: string;
  statusDetails?: Array<Record<string, unknown>>;
}

/** gRPC status codes ebb acts on. */
export const Code = { INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, ABORTED: 10, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

/** BadRequest field violations in an error's details. */
export function fieldViolations(err: GaxFailure): Array<{ field: string; description: string }> {
  const out: Array<{ field: string; description: string }> = [];
  for (const d of err.statusDetails ?? []) {
    const v = (d as { fieldViolations?: Array<{ field: string; description: string }> }).fieldViolations;
    if (Array.isArray(v)) out.push(...v);
  }
  return out;
}

/** RetryInfo's delay in ms, if the error carries one. */
export function retryDelayMs(err: GaxFailure): number | undefined {
  for (const d of err.statusDetails ?? []) {
    const delay = (d as { retryDelay?: { seconds?: number | string; nanos?: number } }).retryDelay;
    if (delay) return Number(delay.seconds ?? 0) * 1000 + Math.round((delay.nanos ?? 0) / 1e6);
  }
  return undefined;
}

/** A failed call as an {@link EbbError} naming the account and the fix. */
export function toEbbError(err: unknown, site: { customerId: string; list: string }): EbbError {
  if (err instanceof EbbError) return err;
  const e = err as GaxFailure;
  const where = `Google Ads ${site.customerId} user list ${site.list}`;
  const path = `object ${site.list}`;
  const said = e.details ?? e.message ?? String(err);
  switch (e.code) {
    case Code.UNAUTHENTICATED:
      return authError(`${where}: the credentials were refused (${said}); refresh the OAuth token or service-account key the connection references`, { path });
    case Code.PERMISSION_DENIED:
      return authError(`${where}: no access (${said}); grant the credentials' user or service account access to account ${site.customerId} (and link it through loginCustomerId if a manager account)`, { path });
    case Code.NOT_FOUND:
      return configError(`${where}: not found (${said}); check the user list id in \`object\` and the account in \`customerId\``, { path });
    case Code.RESOURCE_EXHAUSTED:
      return rateLimitError(`${where}: quota exhausted (${said})`, retryDelayMs(e) ?? 30_000, { path });
    case Code.UNAVAILABLE:
    case Code.DEADLINE_EXCEEDED:
    case Code.ABORTED:
    case Code.INTERNAL:
      return transientError(`${where}: ${said}`, { path });
    default:
      return configError(`${where}: ${said}`, { path });
  }
}
