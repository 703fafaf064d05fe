import { Context } from '@temporalio/activity';
import type { RunPlan } from '../domain/plan';
import type { SyncSpec } from '../domain/spec/schema';
import { openSource, using } from '../runner/connect';
import { checkDestinations } from '../runner/check-destinations';
import { planRun } from '../runner/plan';
import { configError } from '../domain/errors';
import { asStep } from './failure';
import { withKeepAlive } from './keep-alive';
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
      const workflowId = ctx.info.workflowExecution?.workflowId ?? '';
      await takeSyncLock(deps, ctx, input.spec.name, input.runId, workflowId);
      await deps.store.startRun({ runId: input.runId, sync: input.spec.name, specHash: input.specHash, workflowId });
      // Fail before reading a row when a mapping names a field the destination lacks or cannot set.
      await checkDestinations(input.spec, deps.connectorContext);
      const source = openSource(input.spec.source, deps.connectorContext);
      let rowsRead = 0;
      return withKeepAlive(ctx, () => ({ rowsRead }), () =>
        using(source, async (src) => {
          await src.check(input.spec.model);
          return planRun({
            spec: input.spec,
            runId: input.runId,
            fullResync: input.fullResync,
            store: deps.store,
            source: src,
            onProgress: (n) => {
              rowsRead = n;
              ctx.heartbeat({ rowsRead });
            },
          });
        }),
      );
    });
  };
}

/**
 * One run of a sync at a time, even when runs were started under different workflow ids (a
 * schedule and a manual start, say). A holder whose workflow is no longer running (terminated,
 * timed out) is taken over; a live one makes this run fail fast, before anything is read.
 */
async function takeSyncLock(deps: ActivityDeps, ctx: Context, sync: string, runId: string, workflowId: string): Promise<void> {
  const holder = await deps.store.acquireLock(sync, runId, workflowId);
  if (!holder) return;
  // The same workflow id cannot have two open runs: the holder is an earlier, closed run.
  if (holder.workflowId !== workflowId) {
    const status = await ctx.client.workflow
      .getHandle(holder.workflowId)
      .describe()
      .then((d) => d.status.name, () => 'NOT_FOUND');
    if (status === 'RUNNING') {
      throw configError(`sync ${sync} is already running as workflow ${holder.workflowId} (run ${holder.runId}); one run at a time`, { path: 'workflowId' });
    }
  }
  await deps.store.forceLock(sync, runId, workflowId);
}
