/**
 * The OfflineUserDataJobs path (Google Ads API, for allowlisted accounts) through google-ads-api:
 * per batch and per kind, one CUSTOMER_MATCH_USER_LIST job — create it, add its operations
 * (100,000 a request, partial failure on, so a bad member is refused alone), run it, and poll its
 * operation until it is done. Adds and removes never share a job.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errors, GoogleAdsApi, type Customer } from 'google-ads-api';
import { OAuth2Client } from 'google-auth-library';
import * as googleAdsNode from 'google-ads-node';
import { grpc } from 'google-gax';
import { configError } from '../../../domain/errors';
import type { ConnectorContext } from '../../types';
import type { GoogleAdsDestinationConfig } from './config';
import { toEbbError } from './errors';
import type { Member } from './members';

/** Operations per AddOfflineUserDataJobOperations request. */
export const OPERATIONS_PER_REQUEST = 100_000;

/** The gax client google-ads-api caches per service (the part ebb uses to poll the run). */
interface OperationsCapable {
  operationsClient: { getOperation(request: { name: string }, options?: unknown): Promise<Array<{ done?: boolean; error?: { message?: string } }>> };
}

/**
 * google-ads-api builds its gRPC clients with TLS and Google credentials and caches them by
 * service, OAuth client and refresh token. For a local endpoint (`endpoint.insecure`), the
 * cache is seeded with clients aimed at it over insecure gRPC, so every call still goes through
 * the library, over the wire. (The cache is exported by its service module, which the package's
 * `exports` map hides, so it is loaded by path.) The cache expires entries after ten minutes and
 * closes a client it replaces, so this runs before every use and only fills missing entries:
 * connections sharing an OAuth client and endpoint share its local client, and none is closed
 * under another. The endpoint joins the cache key through `grpc_channel_options` (part of the
 * library's key), so a client aimed at another local endpoint is never reused.
 */
function seedLocalClients(config: GoogleAdsDestinationConfig, clientId: string, refreshToken: string): void {
  if (!config.endpoint?.insecure) return;
  const load = createRequire(__filename);
  const { serviceCache } = load(path.join(path.dirname(load.resolve('google-ads-api')), 'service.js')) as { serviceCache: { has(key: string): boolean; set(key: string, value: unknown): void } };
  const node = googleAdsNode as unknown as Record<string, new (opts: unknown) => unknown>;
  for (const service of ['OfflineUserDataJobServiceClient', 'GoogleAdsServiceClient']) {
    const key = `${service}_${clientId}_${refreshToken}_${JSON.stringify(localChannelOptions(config))}`;
    if (serviceCache.has(key)) continue;
    // An auth client without credentials: the local channel carries none, and none are looked for.
    const client = new node[service]({ servicePath: config.endpoint.host, port: config.endpoint.port, sslCreds: grpc.credentials.createInsecure(), authClient: new OAuth2Client() });
    serviceCache.set(key, client);
  }
}

/** Channel options that name a local endpoint (unused by gRPC: they only key the library's cache). */
function localChannelOptions(config: GoogleAdsDestinationConfig): Record<string, string> | null {
  return config.endpoint?.insecure ? { 'ebb.local_endpoint': `${config.endpoint.host}:${config.endpoint.port}` } : null;
}

/** Opens the Google Ads API customer (credentials resolved on the worker). */
export async function connectOfflineUserDataJobs(config: GoogleAdsDestinationConfig, ctx: ConnectorContext) {
  if (!config.developerToken || !config.oauth) {
    throw configError('api: offline-user-data-jobs needs connection.developerToken and connection.oauth (clientId, clientSecret, refreshToken)', { path: 'connection.oauth' });
  }
  const developerToken = await ctx.resolveSecret(config.developerToken, 'connection.developerToken');
  const clientSecret = await ctx.resolveSecret(config.oauth.clientSecret, 'connection.oauth.clientSecret');
  const refreshToken = await ctx.resolveSecret(config.oauth.refreshToken, 'connection.oauth.refreshToken');
  seedLocalClients(config, config.oauth.clientId, refreshToken);
  const channel = localChannelOptions(config);
  const api = new GoogleAdsApi({ client_id: config.oauth.clientId, client_secret: clientSecret, developer_token: developerToken, ...(channel ? { grpc_channel_options: channel as never } : {}) });
  const customer: Customer = api.Customer({ customer_id: config.customerId, login_customer_id: config.loginCustomerId, refresh_token: refreshToken });
  const account = `google-ads:${config.customerId}`;
  const site = (list: string) => ({ customerId: config.customerId, list });
  const userList = (list: string) => `customers/${config.customerId}/userLists/${list}`;
  const call = async <T>(list: string, fn: () => Promise<T>): Promise<T> => {
    await ctx.budget?.take(account, config.rateLimit);
    seedLocalClients(config, config.oauth!.clientId, refreshToken);
    try {
      return await fn();
    } catch (err) {
      throw toEbbError(err, site(list));
    }
  };
  const createJob = (list: string) =>
    call(list, () =>
      customer.offlineUserDataJobs.createOfflineUserDataJob({
        customer_id: config.customerId,
        job: { type: 'CUSTOMER_MATCH_USER_LIST', customer_match_user_list_metadata: { user_list: userList(list) } },
      } as never),
    );

  return {
    async send(list: string, members: Member[], remove: boolean): Promise<Map<number, string>> {
      const refused = new Map<number, string>();
      const { resource_name: job } = (await createJob(list)) as { resource_name: string };
      for (let i = 0; i < members.length; i += OPERATIONS_PER_REQUEST) {
        const part = members.slice(i, i + OPERATIONS_PER_REQUEST);
        const operations = part.map((m) => ({ [remove ? 'remove' : 'create']: toUserData(m, remove) }));
        const res = (await call(list, () => customer.offlineUserDataJobs.addOfflineUserDataJobOperations({ resource_name: job, enable_partial_failure: true, operations } as never))) as {
          partial_failure_error?: { details?: Array<{ type_url?: string; value?: Uint8Array }> };
        };
        for (const [index, reason] of partialFailures(res.partial_failure_error)) refused.set(part[index].seq, reason);
      }
      const op = (await call(list, () => customer.offlineUserDataJobs.runOfflineUserDataJob({ resource_name: job } as never))) as { name: string; done?: boolean };
      await waitForRun(customer, op.name, site(list));
      return refused;
    },
    async check(list: string) {
      // Creating a job proves the token, the customer and the list; a job never run is discarded by Google.
      await createJob(list);
    },
    close: async () => undefined,
  };
}

/** Polls the run's long-running operation until it is done. */
async function waitForRun(customer: Customer, name: string, site: { customerId: string; list: string }): Promise<void> {
  const service = (customer as unknown as { loadService(s: string): OperationsCapable }).loadService('OfflineUserDataJobServiceClient');
  const headers = (customer as unknown as { callHeaders: Record<string, string> }).callHeaders;
  for (let attempt = 0; ; attempt++) {
    const [op] = await service.operationsClient.getOperation({ name }, { otherArgs: { headers } }).catch((err: unknown) => {
      throw toEbbError(err, site);
    });
    if (op.done) {
      if (op.error) throw toEbbError({ code: 13, message: `the job failed: ${op.error.message ?? 'no reason given'}` }, site);
      return;
    }
    await sleep(Math.min(250 * 2 ** attempt, 30_000));
  }
}

/** Operation index → value-free reason, from a partial-failure Status carrying a GoogleAdsFailure. */
function partialFailures(status: { details?: Array<{ type_url?: string; value?: Uint8Array }> } | undefined): Map<number, string> {
  const out = new Map<number, string>();
  for (const d of status?.details ?? []) {
    if (!d.type_url?.includes('GoogleAdsFailure') || !d.value) continue;
    // Enum values by name (INVALID_COUNTRY_CODE), not number.
    const failure = errors.GoogleAdsFailure.toObject(errors.GoogleAdsFailure.decode(d.value), { enums: String }) as unknown as { errors?: Array<{ error_code?: Record<string, unknown>; location?: { field_path_elements?: Array<{ field_name?: string; index?: number }> } }> };
    for (const e of failure.errors ?? []) {
      const at = e.location?.field_path_elements?.find((f) => f.field_name === 'operations');
      if (at?.index === undefined || at.index === null) continue;
      const code = Object.entries(e.error_code ?? {}).find(([, v]) => v !== undefined && v !== null && v !== 0);
      out.set(Number(at.index), `Google Ads ${code ? `${code[0]} ${String(code[1])}` : 'error'}`);
    }
  }
  return out;
}

/** The Google Ads API UserData of a member (the identity first). */
function toUserData(m: Member, remove: boolean) {
  const ids: Array<Record<string, unknown>> = [];
  if (m.email) ids.push({ hashed_email: m.email });
  if (m.phone) ids.push({ hashed_phone_number: m.phone });
  if (m.address) ids.push({ address_info: { hashed_first_name: m.address.givenName, hashed_last_name: m.address.familyName, country_code: m.address.countryCode, postal_code: m.address.postalCode } });
  const consent = remove || (!m.consent.adUserData && !m.consent.adPersonalization) ? undefined : { ad_user_data: m.consent.adUserData, ad_personalization: m.consent.adPersonalization };
  return { user_identifiers: ids, ...(consent ? { consent } : {}) };
}
