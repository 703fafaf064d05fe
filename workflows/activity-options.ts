/** Named timeout and retry presets for ebb's activities (one place to tune them). */
import type { ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';

const retry = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

/** Quick bookkeeping: spec loading, run records. */
export const quickStep: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { ...retry, maximumAttempts: 5 },
};

/** The plan: reads the whole model, so a long start-to-close, kept honest by heartbeats. */
export const planStep: ActivityOptions = {
  startToCloseTimeout: '4 hours',
  heartbeatTimeout: '2 minutes',
  retry: { ...retry, maximumAttempts: 5 },
};

/**
 * Apply slices: many attempts, since rate limits and outages are normal for SaaS APIs; a
 * short heartbeat timeout so a dead worker's chunk is picked up again quickly.
 */
export function applyStep(heartbeatTimeoutSeconds = 30): ActivityOptions {
  return {
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: `${heartbeatTimeoutSeconds} seconds`,
    retry: { ...retry, maximumAttempts: 20 },
  };
}

/** Commit: one transaction per destination. */
export const commitStep: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  retry: { ...retry, maximumAttempts: 10 },
};
