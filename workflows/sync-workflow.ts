/**
 * syncWorkflow: the story of one sync run.
 *
 *   load spec → plan (stage + diff) → apply chunks per destination → commit per destination
 *
 * Only names, counts, hashes and seq ranges cross this code: rows stay in the source, the
 * state store and the destination. History stays bounded: apply continues as new after
 * `maxHistoryEvents`, carrying only counts and slice positions.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { EbbActivities } from '../activities';
import { alertsForRun, type Alert } from '../domain/alerts';
import { changePropagationEfficiency, costPerMillionRows, readBackKpis, rowCoverage, syncLatencyMinutes } from '../domain/kpis';
import { evaluateGates } from '../domain/gates';
import { addOutcomes, NO_OUTCOMES, type RunPlan } from '../domain/plan';
import { parseDurationMs } from '../domain/watermark';
import type { DestinationSpec, SyncSpec } from '../domain/spec/schema';
import { capturesBeforeImages } from '../domain/spec/safety';
import { commitAll, decideCanary, describeRollback, destinationSlices, haltRun, rollBack, verifyWrites } from './safety-steps';
import { applyStep, commitStep, planStep, quickStep } from './activity-options';
import { approveRunUpdate, progressQuery, rejectRunUpdate, requestRunSignal } from './definitions';
import { EbbRowsChanged, EbbStatus, EbbSync } from './search-attributes';
import type { ApprovalDecision, DestinationProgress, DestinationRunResult, ResumeState, RunKpis, SyncProgress, SyncRunResult, SyncWorkflowInput } from './types';

const { loadSpec, recordRun, startNextSyncs, sendAlerts } = proxyActivities<EbbActivities>(quickStep);
const { planChanges } = proxyActivities<EbbActivities>(planStep);
const { commitDestination } = proxyActivities<EbbActivities>(commitStep);

const DEFAULT_ROWS_PER_SLICE = 20_000;
const DEFAULT_MAX_HISTORY_EVENTS = 1_500;

/** Runs one sync: see the module comment. Start it with workflow id `sync/<name>`. */
export async function syncWorkflow(input: SyncWorkflowInput): Promise<SyncRunResult> {
  const options = input.options ?? {};
  const progress: SyncProgress = {
    sync: typeof input.spec === 'string' ? input.spec : String((input.spec as { name?: unknown }).name ?? ''),
    // A continued segment is past loading: a requestRun signal now must still trigger a rerun.
    phase: input.resume ? 'applying' : 'loading',
    segment: input.resume?.segment ?? 0,
    destinations: input.resume?.progress ?? {},
    plan: input.resume?.plan,
    runId: input.resume?.runId,
    canary: input.resume?.canary,
    reason: input.reason,
  };
  setHandler(progressQuery, () => progress);
  // A run requested once this run has started reading could be missed by it: run again after.
  let rerunRequested = input.resume?.rerunRequested ?? false;
  setHandler(requestRunSignal, () => {
    if (progress.phase !== 'loading') rerunRequested = true;
  });

  const startedAt = input.resume?.startedAt ?? Date.now();
  const { spec, specHash } =
    input.resume ?? (await loadSpec.executeWithOptions({ ...quickStep, summary: `load spec ${progress.sync || '(inline)'}` }, [{ spec: input.spec }]));
  progress.sync = spec.name;
  upsertSearchAttributes([{ key: EbbSync, value: spec.name }]);

  let runId = input.resume?.runId ?? workflowInfo().runId;
  let resumeWith: ResumeState;
  try {
    let plan: RunPlan;
    if (input.resume) {
      plan = input.resume.plan;
    } else {
      setPhase(progress, 'planning');
      plan = await planChanges.executeWithOptions({ ...planStep, summary: `plan ${spec.name}: read the model, hash, diff against the last commit` }, [
        { runId, spec, specHash, fullResync: options.fullResync ?? false },
      ]);
      runId = plan.runId; // after a reset, the staged change set is the one the plan recorded
      progress.runId = runId;
      progress.plan = plan;
      upsertSearchAttributes([{ key: EbbRowsChanged, value: plan.destinations.reduce((n, d) => n + d.total, 0) }]);
    }

    // Gates came after the first release: runs planned by older code skip them on replay.
    if (!input.resume && spec.gates && patched('pre-write-gates')) await passGates(spec, plan, progress, options.dryRun ?? false);

    if (options.dryRun) {
      setPhase(progress, 'done');
      const readyAt = options.readyAt ? Date.parse(options.readyAt) : startedAt;
      const planned = summarize(spec, plan, progress, startedAt, Number.isNaN(readyAt) ? startedAt : readyAt);
      // Nothing was sent: delivery KPIs do not apply to a dry run.
      const result: SyncRunResult = { ...planned, status: 'dry-run', destinations: planned.destinations.map((d) => ({ ...d, kpis: { latencyMinutes: d.kpis.latencyMinutes } })) };
      await recordRun.executeWithOptions({ ...quickStep, summary: `record run ${runId} dry-run` }, [
        { sync: spec.name, runId, status: 'dry-run', summary: JSON.stringify(result.destinations.map(countsOnly)) },
      ]);
      return result;
    }

    const rowsPerSlice = options.rowsPerSlice ?? DEFAULT_ROWS_PER_SLICE;
    const maxEvents = options.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
    const applyOptions = applyStep(options.applyHeartbeatTimeoutSeconds);
    const { applyChunks } = proxyActivities<EbbActivities>(applyOptions);
    const historyFull = () => workflowInfo().historyLength >= maxEvents || workflowInfo().continueAsNewSuggested;
    const keepBeforeImages = capturesBeforeImages(spec);
    let halted: string | undefined;

    /**
     * Writes each destination's slices up to `until` (the canary's last slice, or all of them)
     * with a pool of `concurrency` workers, stopping early when history is full or auto-halt
     * fired; a destination whose every slice is written is committed, unless the run halted.
     */
    const writeSlices = async (until: 'canary' | 'all', commit = true) => {
      const settled = await Promise.allSettled(
        spec.destinations.map(async (dest) => {
          const dp = plan.destinations.find((d) => d.destination === dest.name);
          if (!dp) throw ApplicationFailure.nonRetryable(`plan has no destination "${dest.name}"`, 'EbbFatalError');
          const { slices, canarySlices } = destinationSlices(dp, rowsPerSlice);
          const state: DestinationProgress = (progress.destinations[dest.name] ??= {
            slicesDone: 0,
            slicesTotal: slices.length,
            chunksDone: 0,
            outcomes: NO_OUTCOMES,
          });
          if (state.committed) return;
          const limit = until === 'canary' ? canarySlices : slices.length;
          // The canary is small and must finish in one segment: it ignores the history budget.
          const room = () => until === 'canary' || !historyFull();
          let next = state.slicesDone;
          const worker = async () => {
            while (next < limit && !halted && room()) {
              const slice = slices[next++];
              const what = until === 'canary' ? 'canary' : 'apply';
              const summary = `${what} ${dest.name}: chunks ${slice.from + 1}–${slice.to} of ${dp.chunks} (${dp.chunkSize} rows each)`;
              const r = await applyChunks.executeWithOptions({ ...applyOptions, summary }, [
                {
                  sync: spec.name,
                  runId,
                  primaryKey: spec.primaryKey,
                  destination: dest,
                  slice,
                  ...(dest.provenance ? { provenance: { syncedAt: new Date(startedAt).toISOString(), modelVersion: plan.modelVersion } } : {}),
                  ...(keepBeforeImages ? { beforeImages: true } : {}),
                  ...(spec.autoHalt ? { autoHalt: { rule: spec.autoHalt, prior: state.outcomes } } : {}),
                },
              ]);
              state.outcomes = addOutcomes(state.outcomes, r);
              state.chunksDone += slice.to - slice.from;
              if (r.halted) halted ??= r.halted;
              if (r.budgetWaitMs) state.budgetWaitMs = (state.budgetWaitMs ?? 0) + r.budgetWaitMs;
              showProgress(progress);
            }
          };
          await Promise.all(Array.from({ length: Math.min(dest.concurrency, Math.max(1, limit - next)) }, worker));
          state.slicesDone = next;
          if (next < slices.length || halted || !commit) return; // canary only, continue as new, halted, or a check before commit
          state.committed = await commitDestination.executeWithOptions(
            { ...commitStep, summary: `commit ${dest.name}: snapshot and watermark for acknowledged rows` },
            [{ sync: spec.name, runId, destination: dest, watermarkHigh: plan.watermarkHigh }],
          );
          showProgress(progress);
        }),
      );
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    };

    if (spec.canary && !progress.canary) {
      setPhase(progress, 'canary');
      // Never commit here, even when the cohort is every change: the decision comes first.
      await writeSlices('canary', false);
      if (!halted) {
        progress.canary = await decideCanary(spec, spec.canary, plan, runId, progress, setPhase);
        if (progress.canary.decision === 'rejected') {
          const undone = await rollBack(spec, runId, `canary rejected by ${progress.canary.by}`, progress, setPhase);
          const why = progress.canary.reasons.length ? `: ${progress.canary.reasons.join('; ')}` : progress.canary.reason ? ` (${progress.canary.reason})` : '';
          throw ApplicationFailure.nonRetryable(
            `[sync=${spec.name} step=canary] canary rejected by ${progress.canary.by}${why}; rolled back ${describeRollback(undone)}; nothing committed`,
            'EbbCanaryRejected',
          );
        }
      }
    }
    if (!halted) {
      setPhase(progress, 'applying');
      await writeSlices('all', !spec.verify);
    }
    if (halted) await haltRun(spec, spec.autoHalt, halted, runId, plan, progress, setPhase);
    const written = spec.destinations.every((d) => progress.destinations[d.name].slicesDone >= progress.destinations[d.name].slicesTotal);
    if (spec.verify && written) {
      const failures = await verifyWrites(spec, spec.verify, plan, runId, progress);
      if (failures.length && spec.verify.onFailure === 'rollback') {
        const undone = await rollBack(spec, runId, `post-write check: ${failures.join('; ')}`, progress, setPhase);
        throw ApplicationFailure.nonRetryable(`[sync=${spec.name} step=verify] post-write check failed: ${failures.join('; ')}; rolled back ${describeRollback(undone)}; nothing committed`, 'EbbVerifyFailed');
      }
      if (failures.length) log.warn('post-write check failed; committing (verify.onFailure: warn)', { sync: spec.name, failures });
      await commitAll(spec, runId, plan, progress);
    }

    if (spec.destinations.some((d) => !progress.destinations[d.name].committed)) {
      resumeWith = { runId, startedAt, spec, specHash, plan, progress: progress.destinations, segment: progress.segment + 1, rerunRequested, canary: progress.canary };
    } else {
      setPhase(progress, 'done');
      const readyAt = options.readyAt ? Date.parse(options.readyAt) : startedAt;
      const result = summarize(spec, plan, progress, startedAt, Number.isNaN(readyAt) ? startedAt : readyAt);
      await recordRun.executeWithOptions({ ...quickStep, summary: `record run ${runId} committed` }, [
        { sync: spec.name, runId, status: 'committed', summary: JSON.stringify(result.destinations.map(countsOnly)), syncLog: syncLogTarget(spec, startedAt) },
      ]);
      await alert(spec, runId, alertsForRun(runFacts(plan, result), spec.alerts ?? NO_ALERT_RULES));
      if (spec.then?.length) {
        await startNextSyncs.executeWithOptions({ ...quickStep, summary: `then: ${spec.then.join(', ')}` }, [
          { sync: spec.name, runId, next: spec.then, taskQueue: workflowInfo().taskQueue },
        ]);
      }
      if (!rerunRequested) return result;
      log.info('a run was requested while this one ran: running again', { sync: spec.name, runId });
      return continueAsNew<typeof syncWorkflow>({ spec: input.spec, options, reason: 'run requested while the previous run ran' });
    }
  } catch (err) {
    setPhase(progress, 'failed');
    const message = failureMessage(err);
    await recordRun
      .executeWithOptions({ ...quickStep, summary: `record run ${runId} failed` }, [{ sync: spec.name, runId, status: 'failed', error: message, syncLog: syncLogTarget(spec, startedAt) }])
      .catch(() => undefined);
    if (spec.alerts?.on.includes('failure')) await alert(spec, runId, [{ kind: 'failure', message }]);
    if (err instanceof ActivityFailure || err instanceof ApplicationFailure) throw err;
    throw ApplicationFailure.nonRetryable(`[sync=${spec.name}] ${message}`, 'EbbFatalError');
  }
  // Outside the try: continue-as-new works by throwing, and that is not a failure.
  log.info('history is large: continuing as new', { sync: spec.name, runId, segment: progress.segment });
  return continueAsNew<typeof syncWorkflow>({ spec: input.spec, options, reason: input.reason, resume: resumeWith });
}

const NO_ALERT_RULES = { on: [], rejectionRate: 1, volumeChange: Infinity };

/** What the alert rules look at, from the plan and the result. */
function runFacts(plan: RunPlan, result: SyncRunResult) {
  return {
    rowsRead: plan.rowsRead,
    previousRowsRead: plan.previousRowsRead,
    drift: plan.schemaDrift,
    destinations: result.destinations.map((d) => ({ ...d, onTime: d.kpis.onTime, latencyMinutes: d.kpis.latencyMinutes })),
  };
}

/** Sends alerts if the sync has a webhook; an unreachable alert channel never fails the sync. */
async function alert(spec: SyncSpec, runId: string, alerts: Alert[]): Promise<void> {
  if (!spec.alerts || alerts.length === 0) return;
  await sendAlerts
    .executeWithOptions({ ...quickStep, retry: { ...quickStep.retry, maximumAttempts: 3 }, summary: `alert: ${alerts.map((a) => a.kind).join(', ')}` }, [
      { sync: spec.name, runId, workflowId: workflowInfo().workflowId, webhook: spec.alerts.webhook, alerts },
    ])
    .catch((err: unknown) => log.warn('alerts could not be sent', { sync: spec.name, error: String(err) }));
}

/**
 * The pre-write gates: stop before any write on a failure; on a delete share over the cap, wait
 * (visibly, as a named condition) for an operator's `approveRun` or `rejectRun` update, or
 * apply the configured default when the wait times out.
 */
async function passGates(spec: SyncSpec, plan: RunPlan, progress: SyncProgress, dryRun: boolean): Promise<void> {
  const verdict = evaluateGates(plan, spec.gates);
  progress.gates = verdict;
  if (verdict.failures.length) {
    throw ApplicationFailure.nonRetryable(`[sync=${spec.name} step=gates] stopped before any write: ${verdict.failures.join('; ')}`, 'EbbDataError');
  }
  if (verdict.approvals.length === 0 || dryRun) return;
  let decision: { approved: boolean; by: string; reason?: string } | undefined;
  const decide = (approved: boolean) => (d: ApprovalDecision) => {
    decision = { approved, by: d.by ?? 'an operator', reason: d.reason };
    return `${approved ? 'approved' : 'rejected'}: ${verdict.approvals.join('; ')}`;
  };
  const onlyWhileWaiting = (_d: ApprovalDecision) => {
    if (progress.phase !== 'awaiting-approval' || decision) throw new Error(`sync ${spec.name} is not waiting for approval`);
  };
  setHandler(approveRunUpdate, decide(true), { validator: onlyWhileWaiting });
  setHandler(rejectRunUpdate, decide(false), { validator: onlyWhileWaiting });
  setPhase(progress, 'awaiting-approval');
  const answered = await condition(() => decision !== undefined, spec.gates.approvalTimeout, {
    summary: `waiting for approval (approveRun / rejectRun): ${verdict.approvals.join('; ')}`,
  });
  if (!answered) decision = { approved: spec.gates.onApprovalTimeout === 'approve', by: `timeout after ${spec.gates.approvalTimeout}` };
  if (!decision?.approved) {
    throw ApplicationFailure.nonRetryable(
      `[sync=${spec.name} step=gates] rejected by ${decision?.by}${decision?.reason ? ` (${decision.reason})` : ''}, nothing written: ${verdict.approvals.join('; ')}`,
      'EbbDataError',
    );
  }
  progress.gates = { ...verdict, warnings: [...verdict.warnings, `approved by ${decision.by}: ${verdict.approvals.join('; ')}`] };
}

function setPhase(progress: SyncProgress, phase: SyncProgress['phase']): void {
  progress.phase = phase;
  upsertSearchAttributes([{ key: EbbStatus, value: phase }]);
  showProgress(progress);
}

/** The run's live details in the Temporal UI: a markdown table of counts (never row data). */
function showProgress(p: SyncProgress): void {
  const lines = [`**${p.sync}** · ${p.phase}${p.runId ? ` · run ${p.runId}` : ''}${p.plan ? ` · rows read ${p.plan.rowsRead}` : ''}${p.reason ? ` · ${p.reason}` : ''}`];
  if (p.plan) {
    lines.push('', '| destination | adds | changes | removes | chunks done | ok | rejected | retryable | committed |', '|---|---|---|---|---|---|---|---|---|');
    for (const d of p.plan.destinations) {
      const s = p.destinations[d.destination];
      const o = s?.outcomes ?? NO_OUTCOMES;
      lines.push(`| ${d.destination} | ${d.adds} | ${d.changes} | ${d.removes} | ${s?.chunksDone ?? 0}/${d.chunks} | ${o.ok} | ${o.rejected} | ${o.retryable} | ${s?.committed ? s.committed.committed : '–'} |`);
    }
    const waits = p.plan.destinations.filter((d) => (p.destinations[d.destination]?.budgetWaitMs ?? 0) > 0);
    if (waits.length) lines.push('', `Waited on the shared rate budget: ${waits.map((d) => `${d.destination} ${(p.destinations[d.destination].budgetWaitMs! / 1000).toFixed(1)} s`).join(', ')}`);
  }
  setCurrentDetails(lines.join('\n'));
}

function summarize(spec: SyncSpec, plan: RunPlan, progress: SyncProgress, startedAt: number, readyAt: number): SyncRunResult {
  const finished = Date.now();
  return {
    sync: spec.name,
    runId: plan.runId,
    status: 'committed',
    rowsRead: plan.rowsRead,
    nullKeys: plan.nullKeys,
    schemaDrift: plan.schemaDrift,
    ...(plan.policyVersion ? { policyVersion: plan.policyVersion } : {}),
    gates: progress.gates,
    destinations: spec.destinations.map((d: DestinationSpec): DestinationRunResult => {
      const dp = plan.destinations.find((x) => x.destination === d.name)!;
      const p = progress.destinations[d.name];
      const outcomes = p?.outcomes ?? NO_OUTCOMES;
      const latencyMinutes = syncLatencyMinutes(finished, readyAt);
      const kpis: RunKpis = {
        latencyMinutes,
        onTime: spec.sla ? latencyMinutes <= parseDurationMs(spec.sla) / 60_000 : undefined,
        rowCoverage: rowCoverage(outcomes.ok, dp.total),
        changePropagationEfficiency: changePropagationEfficiency(outcomes.ok, dp.adds + dp.changes + dp.removes),
        costPerMillionRows: spec.costModel
          ? costPerMillionRows(spec.costModel, { durationMs: finished - startedAt, rowsSynced: outcomes.ok, bytesSent: outcomes.bytesSent })
          : undefined,
        ...(p?.readBack ? readBackKpis(p.readBack) : {}),
      };
      const totals = p?.committed?.hashTotal ? { committedHashTotal: p.committed.hashTotal, pendingHashTotal: p.committed.pendingHashTotal } : {};
      return { ...dp, ...outcomes, committed: p?.committed?.committed ?? 0, pending: p?.committed?.pending ?? 0, watermark: p?.committed?.watermark, ...totals, kpis };
    }),
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - startedAt,
    segments: progress.segment + 1,
    ...(progress.canary ? { canary: progress.canary } : {}),
  };
}

/** Where the run's KPIs go back to the warehouse, when the spec asks (a reference, no secret values). */
function syncLogTarget(spec: SyncSpec, startedAt: number) {
  return spec.syncLog ? { source: spec.source, table: spec.syncLog.table, startedAt: new Date(startedAt).toISOString() } : undefined;
}

function countsOnly(d: DestinationRunResult) {
  const { destination, mappingVersion, adds, changes, removes, resends, ok, rejected, retryable, committed, pending, kpis } = d;
  return { destination, mappingVersion, adds, changes, removes, resends, ok, rejected, retryable, committed, pending, kpis };
}

function failureMessage(err: unknown): string {
  let e: unknown = err;
  // The innermost cause says what went wrong; the outer layers say where.
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
