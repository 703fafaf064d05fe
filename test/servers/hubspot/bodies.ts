/**
 * HubSpot's error bodies and rate-limit headers, as its API documents them: every error is
 * `{ status: "error", message, correlationId, category }`; a 429 carries `errorType: "RATE_LIMIT"`
 * and the policy that tripped; every response carries the X-HubSpot-RateLimit-* headers.
 */
import { randomUUID } from 'node:crypto';

/** An error answer: HTTP status and body. */
export interface HubSpotError {
  status: number;
  body: Record<string, unknown>;
}

/** `{ status: "error", … }` with a category (VALIDATION_ERROR, CONFLICT, OBJECT_NOT_FOUND, …). */
export function errorBody(status: number, category: string, message: string, extra: Record<string, unknown> = {}): HubSpotError {
  return { status, body: { status: 'error', message, correlationId: randomUUID(), category, ...extra } };
}

/** 401 for a missing or wrong token. */
export const invalidAuthentication = () =>
  errorBody(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview');

/** 403 for a token without the object's scope. */
export const missingScopes = (scope: string) =>
  errorBody(403, 'MISSING_SCOPES', 'This app hasn\'t been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.', {
    errors: [{ message: `One or more of the following scopes are required.`, context: { requiredGranularScopes: [scope] } }],
  });

/** 429 for the ten-secondly rolling limit (the body HubSpot sends: errorType, policyName). */
export const rateLimited = () => ({
  status: 429,
  body: { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName: 'TEN_SECONDLY_ROLLING', groupName: 'publicapi:private-app:ebb' },
});
