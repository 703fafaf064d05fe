/**
 * OAuth 2.0 client-credentials flow at `POST /services/oauth2/token`, as a connected app with
 * "Enable Client Credentials Flow" answers it: a Bearer token for the app's run-as user, the
 * org's `instance_url` and an identity URL naming the org and the user.
 */
import { randomBytes } from 'node:crypto';
import type { Reply } from './collections';

/** The connected app's credentials. */
export interface ConnectedApp {
  clientId: string;
  clientSecret: string;
}

/** The org id every identity URL names. */
export const ORG_ID = '00Dxx0000000001EAA';

/** Issues tokens for `app`; `valid` holds every token the org accepts. */
export function tokenEndpoint(app: ConnectedApp | undefined, form: URLSearchParams, instanceUrl: string, valid: Set<string>): Reply {
  const refuse = (error: string, error_description: string, status = 400): Reply => ({ status, body: { error, error_description } });
  if (form.get('grant_type') !== 'client_credentials') return refuse('unsupported_grant_type', 'grant type not supported');
  if (!app || form.get('client_id') !== app.clientId || form.get('client_secret') !== app.clientSecret) return refuse('invalid_client', 'invalid client credentials');
  const token = `${ORG_ID}!AQ${randomBytes(12).toString('hex')}`;
  valid.add(token);
  return {
    status: 200,
    body: {
      access_token: token,
      signature: randomBytes(16).toString('base64'),
      scope: 'api',
      instance_url: instanceUrl,
      id: `${instanceUrl}/id/${ORG_ID}/005xx000000001AAA`,
      token_type: 'Bearer',
      issued_at: String(Date.now()),
    },
  };
}
