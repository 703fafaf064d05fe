import { makeApplyChunks } from './apply-chunks';
import { makeCommitDestination } from './commit-destination';
import type { ActivityDeps } from './deps';
import { makeLoadSpec } from './load-spec';
import { makePlanChanges } from './plan-changes';
import { makeRecordRun } from './record-run';
import { makeRollbackRun } from './rollback-run';
import { makeSendAlerts } from './send-alerts';
import { makeStartNextSyncs } from './start-next-syncs';
import { makeVerifyCanary } from './verify-canary';

export type { ActivityDeps } from './deps';

/**
 * ebb's activities, built from their dependencies (Temporal samples' factory pattern): the
 * worker passes the real state store and connector context; tests can pass their own.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    loadSpec: makeLoadSpec(deps),
    planChanges: makePlanChanges(deps),
    applyChunks: makeApplyChunks(deps),
    commitDestination: makeCommitDestination(deps),
    recordRun: makeRecordRun(deps),
    startNextSyncs: makeStartNextSyncs(),
    sendAlerts: makeSendAlerts(deps),
    verifyCanary: makeVerifyCanary(deps),
    rollbackRun: makeRollbackRun(deps),
  };
}

/** The activity interface workflows proxy (import it as a type only). */
export type EbbActivities = ReturnType<typeof createActivities>;
