/**
 * A local Data Manager API (google.ads.datamanager.v1.IngestionService) over insecure gRPC, for
 * the real @google-ads/datamanager client. It enforces the documented rules for Customer Match
 * audience members: at most 10,000 members a request, one destination (a Google Ads user list of
 * a known operating account), identifiers hex-encoded SHA-256 (email, phone, given and family
 * name) with region and postal code in clear, consent required for EEA users, Bearer auth, and a
 * request rate answered RESOURCE_EXHAUSTED with RetryInfo. A request with an invalid member is
 * refused whole (INVALID_ARGUMENT), its field violations naming each bad member by index.
 */
import path from 'node:path';
import { Server, ServerCredentials, loadPackageDefinition, type ServerUnaryCall, type sendUnaryData, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { EEA_AND_COVERED } from '../../../connectors/destinations/google-ads/eea';
import { rpcError, GrpcStatus, type FieldViolation } from './rpc-status';

/** Audience members per request, per the Data Manager API. */
export const MAX_MEMBERS_PER_REQUEST = 10_000;

// The countries of Google's EU user consent policy (a list of facts, shared with the connector).
const EEA = EEA_AND_COVERED;

const HEX64 = /^[0-9a-f]{64}$/;

/** Options of {@link startDataManagerServer}. */
export interface DataManagerServerOptions {
  token: string;
  /** Google Ads accounts (operating account ids) and the user lists each has. */
  accounts: Record<string, string[]>;
  /** At most this many requests per window (default: unlimited). */
  rateLimit?: { max: number; windowMs: number };
}

/** What the list holds: user list id → member key (the hashed email, phone or name+address) → member. */
export interface DataManagerServer {
  address: string;
  port: number;
  lists: Map<string, Map<string, Record<string, unknown>>>;
  calls: { ingest: number; remove: number; refused: number };
  maxMembersSeen: number;
  close(): Promise<void>;
}

interface Member {
  user_data?: { user_identifiers?: Array<{ email_address?: string; phone_number?: string; address?: { given_name?: string; family_name?: string; region_code?: string; postal_code?: string } }> };
  consent?: { ad_user_data?: string; ad_personalization?: string };
}
interface Request {
  destinations?: Array<{ operating_account?: { account_id?: string }; product_destination_id?: string }>;
  audience_members?: Member[];
  consent?: Member['consent'];
  encoding?: string;
  validate_only?: boolean;
}

const protoDir = path.join(path.dirname(require.resolve('@google-ads/datamanager')), '..', 'protos');
const gaxProtos = path.join(path.dirname(require.resolve('google-gax')), '..', 'protos');

const regions = new Intl.DisplayNames(['en'], { type: 'region' });
/** An assigned ISO-3166-1 alpha-2 code (the runtime's CLDR data knows its name). */
export function isCountry(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code)) return false;
  const name = regions.of(code);
  return name !== undefined && name !== code && name !== 'Unknown Region';
}

/** The identity of a member in a list: its first identifier (what Google matches on). */
export function memberKey(m: Member): string | undefined {
  const id = m.user_data?.user_identifiers?.[0];
  if (!id) return undefined;
  if (id.email_address) return `email:${id.email_address}`;
  if (id.phone_number) return `phone:${id.phone_number}`;
  if (id.address) return `address:${id.address.given_name}:${id.address.family_name}:${id.address.region_code}:${id.address.postal_code}`;
  return undefined;
}

/** Starts the server on a free local port. */
export async function startDataManagerServer(o: DataManagerServerOptions): Promise<DataManagerServer> {
  const def = loadSync(path.join(protoDir, 'google/ads/datamanager/v1/ingestion_service.proto'), { includeDirs: [protoDir, gaxProtos], keepCase: true, enums: String, defaults: false });
  const pkg = loadPackageDefinition(def) as unknown as { google: { ads: { datamanager: { v1: GrpcObject } } } };
  const service = (pkg.google.ads.datamanager.v1.IngestionService as ServiceClientConstructor).service;
  const lists = new Map<string, Map<string, Record<string, unknown>>>();
  for (const ids of Object.values(o.accounts)) for (const id of ids) lists.set(id, new Map());
  const calls = { ingest: 0, remove: 0, refused: 0 };
  let maxMembersSeen = 0;
  const arrivals: number[] = [];

  /** Checks auth, rate and destination; returns the list or an error. */
  const admit = (call: ServerUnaryCall<Request, unknown>, req: Request) => {
    const auth = call.metadata.get('authorization')[0];
    if (auth !== `Bearer ${o.token}`) return rpcError(GrpcStatus.UNAUTHENTICATED, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    if (o.rateLimit) {
      const now = Date.now();
      while (arrivals.length && arrivals[0] <= now - o.rateLimit.windowMs) arrivals.shift();
      if (arrivals.length >= o.rateLimit.max) {
        calls.refused++;
        const retryAfterMs = arrivals.length ? arrivals[0] + o.rateLimit.windowMs - now : o.rateLimit.windowMs;
        return rpcError(GrpcStatus.RESOURCE_EXHAUSTED, 'Quota exceeded for quota metric "Requests" of service datamanager.googleapis.com.', { retryAfterMs });
      }
      arrivals.push(now);
    }
    const dest = req.destinations ?? [];
    if (dest.length !== 1) return rpcError(GrpcStatus.INVALID_ARGUMENT, 'Exactly one destination is required.', { violations: [{ field: 'destinations', description: 'exactly one' }] });
    const account = dest[0].operating_account?.account_id ?? '';
    const listId = dest[0].product_destination_id ?? '';
    if (!(account in o.accounts)) return rpcError(GrpcStatus.PERMISSION_DENIED, `The caller does not have permission to access operating account ${account}.`);
    if (!o.accounts[account].includes(listId)) return rpcError(GrpcStatus.NOT_FOUND, `User list ${listId} was not found in account ${account}.`);
    const members = req.audience_members ?? [];
    if (members.length === 0) return rpcError(GrpcStatus.INVALID_ARGUMENT, 'audience_members is required.', { violations: [{ field: 'audience_members', description: 'required' }] });
    if (members.length > MAX_MEMBERS_PER_REQUEST) {
      return rpcError(GrpcStatus.INVALID_ARGUMENT, `Too many audience members: ${members.length} (at most ${MAX_MEMBERS_PER_REQUEST} per request).`, { violations: [{ field: 'audience_members', description: `at most ${MAX_MEMBERS_PER_REQUEST}` }] });
    }
    maxMembersSeen = Math.max(maxMembersSeen, members.length);
    return lists.get(listId)!;
  };

  /** Field violations of one member. */
  const violations = (m: Member, i: number, requestConsent: Member['consent'], forRemoval: boolean): FieldViolation[] => {
    const out: FieldViolation[] = [];
    const ids = m.user_data?.user_identifiers ?? [];
    if (ids.length === 0) out.push({ field: `audience_members[${i}].user_data.user_identifiers`, description: 'at least one user identifier is required' });
    ids.forEach((id, j) => {
      const at = `audience_members[${i}].user_data.user_identifiers[${j}]`;
      for (const [k, v] of [['email_address', id.email_address], ['phone_number', id.phone_number], ['address.given_name', id.address?.given_name], ['address.family_name', id.address?.family_name]] as const) {
        if (v !== undefined && !HEX64.test(v)) out.push({ field: `${at}.${k}`, description: 'INVALID_SHA256_FORMAT: must be a hex-encoded SHA-256 hash' });
      }
      if (id.address && !isCountry(id.address.region_code ?? '')) out.push({ field: `${at}.address.region_code`, description: 'INVALID_COUNTRY_CODE: a two-letter ISO-3166-1 code, not hashed' });
    });
    const region = ids.find((x) => x.address)?.address?.region_code;
    const consent = { ...requestConsent, ...m.consent };
    if (!forRemoval && region && EEA.has(region) && (!consent.ad_user_data || consent.ad_user_data === 'CONSENT_STATUS_UNSPECIFIED')) {
      out.push({ field: `audience_members[${i}].consent.ad_user_data`, description: 'CONSENT_REQUIRED: consent must be set for users in the EEA' });
    }
    return out;
  };

  const handler = (remove: boolean) => (call: ServerUnaryCall<Request, unknown>, callback: sendUnaryData<unknown>) => {
    const req = call.request;
    if (remove) calls.remove++;
    else calls.ingest++;
    const list = admit(call, req);
    if (list instanceof Error) return callback(list);
    const members = req.audience_members ?? [];
    if (req.encoding && req.encoding !== 'HEX') return callback(rpcError(GrpcStatus.INVALID_ARGUMENT, 'Only HEX encoding is accepted here.'));
    const bad = members.flatMap((m, i) => violations(m, i, req.consent, remove));
    if (bad.length) return callback(rpcError(GrpcStatus.INVALID_ARGUMENT, `Request contains an invalid argument (${bad.length} violations).`, { violations: bad }));
    if (req.validate_only) return callback(null, { request_id: '' });
    for (const m of members) {
      const key = memberKey(m)!;
      if (remove) list.delete(key);
      else list.set(key, { ...m, consent: { ...req.consent, ...m.consent } });
    }
    callback(null, { request_id: `req-${Date.now().toString(36)}-${calls.ingest + calls.remove}` });
  };

  const server = new Server();
  server.addService(service, { IngestAudienceMembers: handler(false), RemoveAudienceMembers: handler(true) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return {
    address: '127.0.0.1',
    port,
    lists,
    calls,
    get maxMembersSeen() {
      return maxMembersSeen;
    },
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
