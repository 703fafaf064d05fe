/**
 * gRPC errors the way Google APIs send them: a status code, a message, and a google.rpc.Status
 * with typed details (BadRequest field violations, RetryInfo) in the `grpc-status-details-bin`
 * trailer, which google-gax decodes into `err.statusDetails`.
 */
import path from 'node:path';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

const gaxProtos = path.join(path.dirname(require.resolve('google-gax')), '..', 'protos');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(gaxProtos, target);
root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto']);
const Status = root.lookupType('google.rpc.Status');
const BadRequest = root.lookupType('google.rpc.BadRequest');
const RetryInfo = root.lookupType('google.rpc.RetryInfo');

/** A field violation: `audience_members[3].user_data…` and what is wrong with it. */
export interface FieldViolation {
  field: string;
  description: string;
}

/** An error with a code, a message and, optionally, field violations or a retry delay. */
export function rpcError(code: GrpcStatus, message: string, extra: { violations?: FieldViolation[]; retryAfterMs?: number } = {}): ServiceError {
  const details: Array<{ type_url: string; value: Uint8Array }> = [];
  if (extra.violations?.length) {
    details.push({ type_url: 'type.googleapis.com/google.rpc.BadRequest', value: BadRequest.encode(BadRequest.create({ fieldViolations: extra.violations })).finish() });
  }
  if (extra.retryAfterMs !== undefined) {
    const seconds = Math.floor(extra.retryAfterMs / 1000);
    details.push({
      type_url: 'type.googleapis.com/google.rpc.RetryInfo',
      value: RetryInfo.encode(RetryInfo.create({ retryDelay: { seconds, nanos: (extra.retryAfterMs % 1000) * 1e6 } })).finish(),
    });
  }
  const metadata = new Metadata();
  if (details.length) metadata.set('grpc-status-details-bin', Buffer.from(Status.encode(Status.create({ code, message, details })).finish()));
  return Object.assign(new Error(message), { code, details: message, metadata }) as ServiceError;
}

export { GrpcStatus };
