/**
 * The Data Manager path: `audienceMembers:ingest` / `audienceMembers:remove` through the
 * official @google-ads/datamanager client (gRPC), 10,000 members a request. A request with an
 * invalid member is refused whole with field violations naming it by index: those members are
 * rejected with the violation and the rest sent again.
 */
import { IngestionServiceClient } from '@google-ads/datamanager';
import { OAuth2Client } from 'google-auth-library';
import { grpc } from 'google-gax';
import type { ConnectorContext } from '../../types';
import type { GoogleAdsDestinationConfig } from './config';
import { Code, fieldViolations, retryDelayMs, toEbbError, type GaxFailure } from './errors';
import type { Member } from './members';
import { sha256Hex } from './normalize';

/** Longest quota wait taken inside one write; longer ones go back to the activity retry. */
const MAX_WAIT_IN_PLACE_MS = 10_000;

/** Members per Data Manager request. */
export const DATA_MANAGER_BATCH = 10_000;

/** A Data Manager connection. */
export interface DataManagerApi {
  /** Adds (or removes) members of a user list; returns the seqs refused, with reasons. */
  send(list: string, members: Member[], remove: boolean): Promise<Map<number, string>>;
  /** Proves the credentials, the account and the list with a validate-only request. */
  check(list: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens the client (credentials resolved on the worker, at first use). */
export async function connectDataManager(config: GoogleAdsDestinationConfig, ctx: ConnectorContext): Promise<DataManagerApi> {
  const token = config.accessToken ? await ctx.resolveSecret(config.accessToken, 'connection.accessToken') : undefined;
  const key = config.serviceAccountKey ? (JSON.parse(await ctx.resolveSecret(config.serviceAccountKey, 'connection.serviceAccountKey')) as Record<string, string>) : undefined;
  // An access token is handed to the client as an auth client, so it never looks for ambient credentials.
  const authClient = token ? new OAuth2Client() : undefined;
  authClient?.setCredentials({ access_token: token });
  const client = new IngestionServiceClient({
    ...(config.endpoint ? { servicePath: config.endpoint.host, apiEndpoint: config.endpoint.host, port: config.endpoint.port } : {}),
    ...(config.endpoint?.insecure ? { sslCreds: grpc.credentials.createInsecure() } : {}),
    ...(authClient ? { authClient: authClient as never } : {}),
    ...(key ? { credentials: { client_email: key.client_email, private_key: key.private_key } } : {}),
  });
  const account = `google-ads:${config.customerId}`;
  // An insecure channel carries no call credentials: the token goes as a header (local endpoints only).
  const headers = token && config.endpoint?.insecure ? { authorization: `Bearer ${token}` } : {};
  const destination = (list: string) => ({
    operatingAccount: { accountId: config.customerId, accountType: 'GOOGLE_ADS' },
    ...(config.loginCustomerId ? { loginAccount: { accountId: config.loginCustomerId, accountType: 'GOOGLE_ADS' } } : {}),
    productDestinationId: list,
  });

  const call = async (list: string, members: Member[], remove: boolean, validateOnly = false) => {
    const request = {
      destinations: [destination(list)],
      audienceMembers: members.map((m) => toAudienceMember(m, remove)),
      encoding: 'HEX',
      validateOnly,
    };
    for (let attempt = 1; ; attempt++) {
      await ctx.budget?.take(account, config.rateLimit);
      try {
        if (remove) await client.removeAudienceMembers(request as never, { otherArgs: { headers } });
        else await client.ingestAudienceMembers(request as never, { otherArgs: { headers } });
        return;
      } catch (err) {
        const e = err as GaxFailure;
        const delay = retryDelayMs(e) ?? 5_000;
        if (e.code === Code.RESOURCE_EXHAUSTED) {
          // Everyone on the account slows down; a short wait is taken here, a long one by the activity's retry.
          if (ctx.budget) await ctx.budget.penalize(account, delay);
          if (attempt < 4 && delay <= MAX_WAIT_IN_PLACE_MS) {
            if (!ctx.budget) await new Promise((r) => setTimeout(r, delay));
            continue;
          }
        }
        throw err;
      }
    }
  };

  return {
    async send(list, members, remove) {
      const refused = new Map<number, string>();
      for (let i = 0; i < members.length; i += DATA_MANAGER_BATCH) {
        let part = members.slice(i, i + DATA_MANAGER_BATCH);
        // A refused request names its bad members: drop them, send the rest (twice at most).
        for (let round = 0; round < 3 && part.length; round++) {
          try {
            await call(list, part, remove);
            part = [];
          } catch (err) {
            const e = err as GaxFailure;
            const bad = e.code === Code.INVALID_ARGUMENT ? byMember(fieldViolations(e)) : new Map<number, string>();
            if (bad.size === 0 || round === 2) throw toEbbError(err, { customerId: config.customerId, list });
            for (const [index, reason] of bad) refused.set(part[index].seq, reason);
            part = part.filter((_, n) => !bad.has(n));
          }
        }
      }
      return refused;
    },
    async check(list) {
      // A validate-only request with a well-formed placeholder member: nothing is stored.
      const probe: Member = { seq: 0, email: sha256Hex('ebb-check@example.invalid'), consent: { adUserData: 'DENIED' } };
      await call(list, [probe], false, true).catch((err: unknown) => {
        throw toEbbError(err, { customerId: config.customerId, list });
      });
    },
    close: () => client.close(),
  };
}

/** The Data Manager AudienceMember of a member (the identity first: Google matches on the first). */
function toAudienceMember(m: Member, remove: boolean) {
  const ids: Array<Record<string, unknown>> = [];
  if (m.email) ids.push({ emailAddress: m.email });
  if (m.phone) ids.push({ phoneNumber: m.phone });
  if (m.address) ids.push({ address: { givenName: m.address.givenName, familyName: m.address.familyName, regionCode: m.address.countryCode, postalCode: m.address.postalCode } });
  const status = (v?: 'GRANTED' | 'DENIED') => (v ? `CONSENT_${v}` : undefined);
  const consent = remove ? undefined : { adUserData: status(m.consent.adUserData), adPersonalization: status(m.consent.adPersonalization) };
  return { userData: { userIdentifiers: ids }, ...(consent && (consent.adUserData || consent.adPersonalization) ? { consent } : {}) };
}

/** Violations grouped by member index: `audience_members[3].…` → reason (codes and field paths only). */
function byMember(violations: Array<{ field: string; description: string }>): Map<number, string> {
  const out = new Map<number, string>();
  for (const v of violations) {
    const m = /^audience_members\[(\d+)\]\.?(.*)$/.exec(v.field);
    if (!m) continue;
    const code = v.description.split(':')[0];
    const reason = `Google Ads ${code} on ${m[2] || 'member'}`;
    const i = Number(m[1]);
    out.set(i, out.has(i) ? `${out.get(i)}; ${reason}` : reason);
  }
  return out;
}
