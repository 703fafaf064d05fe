/**
 * A local Google Ads API OfflineUserDataJobService (v25) over insecure gRPC, with the
 * google.longrunning.Operations service its run operation is polled through, for the real
 * google-ads-api client. It enforces the documented rules for Customer Match jobs: a developer
 * token, a user list of the customer, at most 100,000 operations a request, create and remove
 * never mixed in one job, identifiers hex-encoded SHA-256, operations only while the job is
 * pending; with partial failure on, bad operations come back as a GoogleAdsFailure naming them by
 * index. Membership changes when the job has run, as in Google Ads.
 */
import path from 'node:path';
import { Server, ServerCredentials, loadPackageDefinition, type GrpcObject, type ServerUnaryCall, type sendUnaryData, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { errors } from 'google-ads-api';
import { isCountry } from './data-manager';
import { rpcError, GrpcStatus } from './rpc-status';

/** Operations per AddOfflineUserDataJobOperations request. */
export const MAX_OPERATIONS_PER_REQUEST = 100_000;

const adsProtos = path.join(path.dirname(require.resolve('google-ads-node')), '..', 'protos');
const gaxProtos = path.join(path.dirname(require.resolve('google-gax')), '..', 'protos');
const HEX64 = /^[0-9a-f]{64}$/;

interface Identifier {
  hashed_email?: string;
  hashed_phone_number?: string;
  address_info?: { hashed_first_name?: string; hashed_last_name?: string; country_code?: string; postal_code?: string };
}
interface UserData {
  user_identifiers?: Identifier[];
}
interface Job {
  resourceName: string;
  list: string;
  status: 'PENDING' | 'RUNNING' | 'SUCCESS' | 'FAILED';
  kind?: 'create' | 'remove';
  pending: UserData[];
  polls: number;
}

/** Options of {@link startOfflineUserDataJobServer}. */
export interface OfflineUserDataJobServerOptions {
  developerToken: string;
  /** Customer id → its user list ids. */
  customers: Record<string, string[]>;
  /** At most this many requests per window, then RESOURCE_EXHAUSTED with RetryInfo (default: unlimited). */
  rateLimit?: { max: number; windowMs: number };
}

/** A running server. */
export interface OfflineUserDataJobServer {
  address: string;
  port: number;
  /** User list resource name → member key → identifiers. */
  lists: Map<string, Map<string, Identifier[]>>;
  jobs: Map<string, Job>;
  calls: { create: number; add: number; run: number; poll: number };
  close(): Promise<void>;
}

/** The member key of a user: its first identifier. */
export function identifierKey(ids: Identifier[]): string {
  const id = ids[0] ?? {};
  if (id.hashed_email) return `email:${id.hashed_email}`;
  if (id.hashed_phone_number) return `phone:${id.hashed_phone_number}`;
  const a = id.address_info ?? {};
  return `address:${a.hashed_first_name}:${a.hashed_last_name}:${a.country_code}:${a.postal_code}`;
}

/** Starts the server on a free local port. */
export async function startOfflineUserDataJobServer(o: OfflineUserDataJobServerOptions): Promise<OfflineUserDataJobServer> {
  const opts = { includeDirs: [adsProtos, gaxProtos], keepCase: true, enums: String, defaults: false, longs: String };
  const ads = loadPackageDefinition(loadSync('google/ads/googleads/v25/services/offline_user_data_job_service.proto', opts)) as unknown as { google: { ads: { googleads: { v25: { services: GrpcObject } } } } };
  const lro = loadPackageDefinition(loadSync('google/longrunning/operations.proto', opts)) as unknown as { google: { longrunning: GrpcObject } };
  const jobs = new Map<string, Job>();
  const lists = new Map<string, Map<string, Identifier[]>>();
  for (const [customer, ids] of Object.entries(o.customers)) for (const id of ids) lists.set(`customers/${customer}/userLists/${id}`, new Map());
  const calls = { create: 0, add: 0, run: 0, poll: 0 };
  let next = 1;

  const arrivals: number[] = [];
  /** Why the call is refused (a bad developer token, or the rate), or undefined. */
  const refusal = (call: ServerUnaryCall<unknown, unknown>) => {
    if (call.metadata.get('developer-token')[0] !== o.developerToken) return rpcError(GrpcStatus.PERMISSION_DENIED, 'The developer token is not valid (DEVELOPER_TOKEN_INVALID).');
    if (!o.rateLimit) return undefined;
    const now = Date.now();
    while (arrivals.length && arrivals[0] <= now - o.rateLimit.windowMs) arrivals.shift();
    if (arrivals.length >= o.rateLimit.max) {
      const retryAfterMs = arrivals.length ? arrivals[0] + o.rateLimit.windowMs - now : o.rateLimit.windowMs;
      return rpcError(GrpcStatus.RESOURCE_EXHAUSTED, 'Too many requests. Retry in a while (RESOURCE_TEMPORARILY_EXHAUSTED).', { retryAfterMs });
    }
    arrivals.push(now);
    return undefined;
  };

  const failure = (violations: Array<{ index: number; message: string; code: Record<string, string> }>) => {
    const encoded = errors.GoogleAdsFailure.encode(
      errors.GoogleAdsFailure.fromObject({
        errors: violations.map((v) => ({ error_code: v.code, message: v.message, location: { field_path_elements: [{ field_name: 'operations', index: v.index }] } })),
      } as never),
    ).finish();
    return { code: GrpcStatus.INVALID_ARGUMENT, message: `${violations.length} operations failed.`, details: [{ type_url: 'type.googleapis.com/google.ads.googleads.v25.errors.GoogleAdsFailure', value: Buffer.from(encoded) }] };
  };

  const service = {
    CreateOfflineUserDataJob(call: ServerUnaryCall<{ customer_id?: string; job?: { type?: string; customer_match_user_list_metadata?: { user_list?: string } } }, unknown>, cb: sendUnaryData<unknown>) {
      calls.create++;
      const refused = refusal(call);
      if (refused) return cb(refused);
      const { customer_id: customer = '', job } = call.request;
      if (!(customer in o.customers)) return cb(rpcError(GrpcStatus.PERMISSION_DENIED, `The caller does not have permission to access customer ${customer} (USER_PERMISSION_DENIED).`));
      if (job?.type !== 'CUSTOMER_MATCH_USER_LIST') return cb(rpcError(GrpcStatus.INVALID_ARGUMENT, 'Only CUSTOMER_MATCH_USER_LIST jobs are supported here.'));
      const list = job.customer_match_user_list_metadata?.user_list ?? '';
      if (!lists.has(list) || !list.startsWith(`customers/${customer}/`)) return cb(rpcError(GrpcStatus.INVALID_ARGUMENT, `User list ${list} was not found (INVALID_USER_LIST_ID).`));
      const resourceName = `customers/${customer}/offlineUserDataJobs/${next++}`;
      jobs.set(resourceName, { resourceName, list, status: 'PENDING', pending: [], polls: 0 });
      cb(null, { resource_name: resourceName });
    },
    AddOfflineUserDataJobOperations(call: ServerUnaryCall<{ resource_name?: string; enable_partial_failure?: boolean; operations?: Array<{ create?: UserData; remove?: UserData }> }, unknown>, cb: sendUnaryData<unknown>) {
      calls.add++;
      const refused = refusal(call);
      if (refused) return cb(refused);
      const job = jobs.get(call.request.resource_name ?? '');
      if (!job) return cb(rpcError(GrpcStatus.NOT_FOUND, 'Offline user data job not found.'));
      if (job.status !== 'PENDING') return cb(rpcError(GrpcStatus.FAILED_PRECONDITION, 'Operations can only be added to a PENDING job (INVALID_JOB_STATUS).'));
      const ops = call.request.operations ?? [];
      if (ops.length > MAX_OPERATIONS_PER_REQUEST) return cb(rpcError(GrpcStatus.INVALID_ARGUMENT, `Too many operations: ${ops.length} (at most ${MAX_OPERATIONS_PER_REQUEST} a request; TOO_MANY_OPERATIONS).`));
      const kinds = new Set(ops.map((op) => (op.create ? 'create' : 'remove')));
      if (job.kind) kinds.add(job.kind);
      if (kinds.size > 1) return cb(rpcError(GrpcStatus.INVALID_ARGUMENT, 'Create and remove operations cannot be mixed in one job (ADD_AND_REMOVE_MIXED).'));
      job.kind = [...kinds][0] as Job['kind'];
      const bad: Array<{ index: number; message: string; code: Record<string, string> }> = [];
      ops.forEach((op, index) => {
        const ids = (op.create ?? op.remove)?.user_identifiers ?? [];
        const wrong = ids.some((id) => [id.hashed_email, id.hashed_phone_number, id.address_info?.hashed_first_name, id.address_info?.hashed_last_name].some((v) => v !== undefined && !HEX64.test(v)));
        if (ids.length === 0) bad.push({ index, message: 'The user data has no identifier.', code: { offline_user_data_job_error: 'INVALID_USER_IDENTIFIER' } });
        else if (wrong) bad.push({ index, message: 'The SHA256 encoded value is malformed.', code: { offline_user_data_job_error: 'INVALID_SHA256_FORMAT' } });
        else if (ids.some((id) => id.address_info && !isCountry(id.address_info.country_code ?? ''))) {
          bad.push({ index, message: 'The country code is invalid.', code: { offline_user_data_job_error: 'INVALID_COUNTRY_CODE' } });
        }
      });
      if (bad.length && !call.request.enable_partial_failure) return cb(rpcError(GrpcStatus.INVALID_ARGUMENT, `${bad.length} operations failed.`));
      ops.forEach((op, index) => {
        if (!bad.some((b) => b.index === index)) job.pending.push((op.create ?? op.remove)!);
      });
      cb(null, bad.length ? { partial_failure_error: failure(bad) } : {});
    },
    RunOfflineUserDataJob(call: ServerUnaryCall<{ resource_name?: string }, unknown>, cb: sendUnaryData<unknown>) {
      calls.run++;
      const refused = refusal(call);
      if (refused) return cb(refused);
      const job = jobs.get(call.request.resource_name ?? '');
      if (!job) return cb(rpcError(GrpcStatus.NOT_FOUND, 'Offline user data job not found.'));
      if (job.status !== 'PENDING') return cb(rpcError(GrpcStatus.FAILED_PRECONDITION, 'The job has already run (INVALID_JOB_STATUS).'));
      job.status = 'RUNNING';
      cb(null, { name: `${job.resourceName}/operations/run`, done: false });
    },
  };

  const operations = {
    GetOperation(call: ServerUnaryCall<{ name?: string }, unknown>, cb: sendUnaryData<unknown>) {
      calls.poll++;
      const name = call.request.name ?? '';
      const job = jobs.get(name.replace(/\/operations\/run$/, ''));
      if (!job) return cb(rpcError(GrpcStatus.NOT_FOUND, `Operation ${name} not found.`));
      // The first poll sees the job running; then it has run and its members are in (or out of) the list.
      if (job.status === 'RUNNING' && ++job.polls >= 2) {
        const list = lists.get(job.list)!;
        for (const u of job.pending) {
          const key = identifierKey(u.user_identifiers ?? []);
          if (job.kind === 'remove') list.delete(key);
          else list.set(key, u.user_identifiers ?? []);
        }
        job.status = 'SUCCESS';
      }
      cb(null, { name, done: job.status === 'SUCCESS', ...(job.status === 'SUCCESS' ? { response: { type_url: 'type.googleapis.com/google.protobuf.Empty', value: Buffer.alloc(0) } } : {}) });
    },
  };

  const server = new Server();
  server.addService((ads.google.ads.googleads.v25.services.OfflineUserDataJobService as ServiceClientConstructor).service, service);
  server.addService((lro.google.longrunning.Operations as ServiceClientConstructor).service, operations);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { address: '127.0.0.1', port, lists, jobs, calls, close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}
