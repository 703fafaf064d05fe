import { Context } from '@temporalio/activity';
import { identityFieldOf, type DestinationSpec } from '../domain/spec/schema';
import { openDestination, using } from '../runner/connect';
import { rollbackDestination } from '../runner/rollback';
import { SafetyStore, type RollbackCounts } from '../state/safety-store';
import { asStep } from './failure';
import type { ActivityDeps } from './deps';

/** Input of {@link makeRollbackRun}: which run to undo on which destination. No rows. */
export interface RollbackRunInput {
  sync: string;
  runId: string;
  primaryKey: string | string[];
  destination: DestinationSpec;
  /** Why (canary rejected, auto-halt, an operator): kept with the rollback's record. */
  reason: string;
  /** Restore even when later runs changed some of the same records. */
  force?: boolean;
}

/**
 * The rollback step for one destination: writes the run's before-images back in chunks,
 * heartbeating the last seq restored, so a retry resumes where the last attempt stopped.
 */
export function makeRollbackRun(deps: ActivityDeps) {
  return async function rollbackRun(input: RollbackRunInput): Promise<RollbackCounts> {
    const ctx = Context.current();
    const dest = input.destination;
    return asStep({ sync: input.sync, step: 'rollback', destination: dest.name }, async () => {
      const safety = new SafetyStore(deps.store.driver);
      const resumed = ctx.info.heartbeatDetails as { afterSeq: number; counts: RollbackCounts } | undefined;
      const counts = await using(openDestination(dest, deps.connectorContext), (d) =>
        rollbackDestination({
          runId: input.runId,
          sync: input.sync,
          dest,
          idField: identityFieldOf(input.primaryKey, dest) as string,
          destination: d,
          safety,
          force: input.force ?? false,
          afterSeq: resumed?.afterSeq,
          counts: resumed?.counts,
          onChunk: (progress) => ctx.heartbeat(progress),
        }),
      );
      await safety.finishRollback({ runId: input.runId, sync: input.sync, dest: dest.name, reason: input.reason, counts });
      return counts;
    });
  };
}
