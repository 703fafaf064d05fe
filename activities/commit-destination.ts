import type { DestinationSpec } from '../domain/spec/schema';
import { commitInWarehouse } from '../runner/commit-in-warehouse';
import { openDestination, openSource, using } from '../runner/connect';
import { warehouseOf } from '../runner/plan-in-warehouse';
import type { CommitResult } from '../state/store';
import { asStep } from './failure';
import type { ActivityDeps } from './deps';

/** Input of {@link makeCommitDestination}. */
export interface CommitDestinationInput {
  sync: string;
  runId: string;
  destination: DestinationSpec;
  watermarkHigh?: number;
}

/**
 * The commit step for one destination: lets the destination finish the run (e.g. the file
 * export assembles its parts), then moves the snapshot and watermark for acknowledged rows only,
 * in one transaction, and then (in-warehouse runs) the warehouse's snapshot. Idempotent, so a
 * retried commit is harmless.
 */
export function makeCommitDestination(deps: ActivityDeps) {
  return async function commitDestination(input: CommitDestinationInput): Promise<CommitResult> {
    const dest = input.destination;
    return asStep({ sync: input.sync, step: 'commit', destination: dest.name }, async () => {
      const destination = openDestination(dest, deps.connectorContext);
      if (destination.finalize) await using(destination, (d) => d.finalize!({ runId: input.runId, object: dest.object }));
      else await destination.close();
      const committed = await deps.store.commitDestination({ runId: input.runId, sync: input.sync, dest: dest.name, watermarkHigh: input.watermarkHigh });
      // In-warehouse runs: the warehouse snapshot moves only now, after the state store committed
      // what the destination acknowledged. If this fails, the next plan finishes it first.
      const inWarehouse = await deps.store.warehouseRun(input.runId, dest.name);
      if (inWarehouse) {
        await using(openSource(inWarehouse.source, deps.connectorContext), (source) => commitInWarehouse(warehouseOf(source, inWarehouse), deps.store, inWarehouse));
      }
      return committed;
    });
  };
}
