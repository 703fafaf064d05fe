import { authError, configError, EbbError, rateLimitError, transientError } from '../../../domain/errors';

/** Where a call went, for messages (never the token). */
export interface HubSpotSite {
  objectType: string;
  destination?: string;
}

/** HubSpot's error body: `{ status: "error", message, category, … }`. */
export interface HubSpotErrorBody {
  message?: string;
  category?: string;
  errorType?: string;
  policyName?: string;
}

/** An API exception from the client library, duck-typed (each codegen module has its own class). */
export interface ApiFailure {
  code: number;
  body: unknown;
  headers: Record<string, string>;
}

/** True for the client library's ApiException (any module's). */
export function isApiFailure(err: unknown): err is ApiFailure {
  return typeof err === 'object' && err !== null && typeof (err as ApiFailure).code === 'number' && 'body' in err;
}

/** HubSpot's message and category from an exception body (a string or an object). */
export function bodyOf(err: ApiFailure): HubSpotErrorBody {
  const b = err.body;
  if (b && typeof b === 'object') return b as HubSpotErrorBody;
  if (typeof b === 'string') {
    try {
      return JSON.parse(b) as HubSpotErrorBody;
    } catch {
      return { message: b.slice(0, 200) };
    }
  }
  return {};
}

/**
 * How long to wait after a 429: Retry-After when sent, else the time for the rolling window to
 * make room (the interval over the max, at least a second).
 */
export function retryAfterMs(headers: Record<string, string>): number {
  const ra = Number(headers['retry-after']);
  if (Number.isFinite(ra) && ra > 0) return ra * 1000;
  const interval = Number(headers['x-hubspot-ratelimit-interval-milliseconds']);
  return Number.isFinite(interval) && interval > 0 ? Math.max(1000, Math.round(interval / 10)) : 1000;
}

/** A failed call as an {@link EbbError} that says what to fix. */
export function toEbbError(err: unknown, site: HubSpotSite): EbbError {
  if (err instanceof EbbError) return err;
  const where = `HubSpot ${site.objectType}`;
  const path = `object ${site.objectType}`;
  if (!isApiFailure(err)) {
    return transientError(`${where}: ${err instanceof Error ? err.message : String(err)}`, { path, cause: err });
  }
  const b = bodyOf(err);
  const said = `${b.category ?? b.errorType ?? `HTTP ${err.code}`}: ${b.message ?? 'no message'}`;
  if (err.code === 401) return authError(`${where}: the access token was refused (${said}); create a new private-app token and update the secret \`connection.accessToken\` references`, { path });
  if (err.code === 403) return authError(`${where}: the token lacks a scope for ${site.objectType} (${said}); grant the app crm.objects.${site.objectType}.read and .write`, { path });
  if (err.code === 429) return rateLimitError(`${where}: rate limited (${said})`, retryAfterMs(err.headers), { path });
  if (err.code >= 500) return transientError(`${where}: ${said}`, { path });
  return configError(`${where}: ${said}`, { path });
}
