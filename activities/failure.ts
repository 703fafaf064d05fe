import { ApplicationFailure } from '@temporalio/common';
import { EbbError, ErrorType, isEbbError, type ErrorContext } from '../domain/errors';

/**
 * The one place errors become Temporal failures. An {@link EbbError} keeps its kind as the
 * failure type (which the workflow's retry policy reads) and gains the sync and step in its
 * message; anything else is treated as transient, because an unknown error may be a blip,
 * and the retry policy's attempt limit bounds the cost of being wrong.
 */
export function toFailure(err: unknown, context: ErrorContext): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const e: EbbError = isEbbError(err)
    ? err.withContext(context)
    : new EbbError('transient', errorMessage(err), { ...context, cause: err });
  return ApplicationFailure.create({
    message: e.describe(),
    type: e.type,
    nonRetryable: e.nonRetryable,
    nextRetryDelay: e.retryAfterMs,
    details: [{ kind: e.kind, ...e.context }],
  });
}

/** Runs an activity body and converts whatever it throws. */
export async function asStep<T>(context: ErrorContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFailure(err, context);
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}`;
  return String(err);
}

export { ErrorType };
