/**
 * rollbackWorkflow: undo a past run of a sync on its destinations, from the before-images that
 * run kept. Start it with workflow id `rollback/<sync>/<runId>` (`ebb rollback`, or any Temporal
 * client). It refuses, naming the later runs, when those changed the same records since —
 * unless `force` is set.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { EbbActivities } from '../activities';
import { applyStep, quickStep } from './activity-options';
import type { RollbackWorkflowInput, RollbackWorkflowResult } from './types';

const { loadSpec } = proxyActivities<EbbActivities>(quickStep);
const { rollbackRun } = proxyActivities<EbbActivities>(applyStep());

/** Rolls back one run: see the module comment. */
export async function rollbackWorkflow(input: RollbackWorkflowInput): Promise<RollbackWorkflowResult> {
  const { spec } = await loadSpec.executeWithOptions({ ...quickStep, summary: 'load spec' }, [{ spec: input.spec }]);
  const wanted = input.destinations ?? spec.destinations.map((d) => d.name);
  const unknown = wanted.filter((name) => !spec.destinations.some((d) => d.name === name));
  if (unknown.length) {
    throw ApplicationFailure.nonRetryable(`[sync=${spec.name} step=rollback] no destination named ${unknown.join(', ')} in the spec`, 'EbbConfigError');
  }
  const reason = input.reason ?? 'asked for';
  const destinations = [];
  // One destination after another: a refusal on the first leaves the others untouched.
  for (const dest of spec.destinations.filter((d) => wanted.includes(d.name))) {
    const counts = await rollbackRun.executeWithOptions({ ...applyStep(), summary: `roll back ${dest.name}: restore the before-images of run ${input.runId}` }, [
      { sync: spec.name, runId: input.runId, primaryKey: spec.primaryKey, destination: dest, reason, force: input.force ?? false },
    ]);
    destinations.push({ destination: dest.name, ...counts });
  }
  return { sync: spec.name, runId: input.runId, destinations };
}
