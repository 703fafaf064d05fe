import { Context } from '@temporalio/activity';
import type { RunPlan } from '../domain/plan';
import type { SyncSpec } from '../domain/spec/schema';
import { openSource, using } from '../runner/connect';
import { planRun } from '../runner/plan';
import { asStep } from './failure';
import type { ActivityDeps } from './deps';

/** Input of {@link makePlanChanges}. */
export interface PlanChangesInput {
  runId: string;
  spec: SyncSpec;
  specHash: string;
  fullResync: boolean;
}

/** The plan step as an activity: records the run, stages and diffs, heartbeats rows read. */
export function makePlanChanges(deps: ActivityDeps) {
  return async function planChanges(input: PlanChangesInput): Promise<RunPlan> {
    const ctx = Context.current();
    return asStep({ sync: input.spec.name, step: 'plan' }, async () => {
      await deps.store.startRun({ runId: input.runId, sync: input.spec.name, specHash: input.specHash, workflowId: ctx.info.workflowExecution?.workflowId ?? '' });
      const source = openSource(input.spec.source, deps.connectorContext);
      return using(source, async (src) => {
        await src.check(input.spec.model);
        return planRun({
          spec: input.spec,
          runId: input.runId,
          fullResync: input.fullResync,
          store: deps.store,
          source: src,
          onProgress: (rowsRead) => ctx.heartbeat({ rowsRead }),
        });
      });
    });
  };
}
