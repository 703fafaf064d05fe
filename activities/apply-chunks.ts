import { Context } from '@temporalio/activity';
import type { ConnectorContext } from '../connectors/types';
import type { ChunkSlice } from '../domain/chunking';
import { mappingVersion } from '../domain/mapping';
import { identityFieldOf, type DestinationSpec } from '../domain/spec/schema';
import { applySlice, type ApplyInput, type ApplyResult } from '../runner/apply';
import { SafetyStore } from '../state/safety-store';
import { openDestination, using } from '../runner/connect';
import { asStep } from './failure';
import { withKeepAlive } from './keep-alive';
import { applyMetrics } from './metrics';
import type { ActivityDeps } from './deps';

/** Input of {@link makeApplyChunks}: which run, which destination, which chunks. No rows. */
export interface ApplyChunksInput {
  sync: string;
  runId: string;
  primaryKey: string | string[];
  destination: DestinationSpec;
  slice: ChunkSlice;
  /** For destinations with `provenance`: when the run started, and the model's version. */
  provenance?: { syncedAt: string; modelVersion?: string };
  /** Keep before-images of each chunk before writing it (for rollback). */
  beforeImages?: boolean;
  /** Stop when the destination's rejection rate (counting `prior` outcomes of the run) crosses the rule. */
  autoHalt?: ApplyInput['autoHalt'];
}

/**
 * The apply step for one slice of chunks. Heartbeats carry the last chunk written, so the UI
 * shows progress; a retry skips chunks already acknowledged.
 */
export function makeApplyChunks(deps: ActivityDeps) {
  return async function applyChunks(input: ApplyChunksInput): Promise<ApplyResult> {
    const ctx = Context.current();
    const dest = input.destination;
    return asStep({ sync: input.sync, step: 'apply', destination: dest.name }, async () => {
      let progress: Record<string, number> = { chunk: input.slice.from, ok: 0, rejected: 0, retryable: 0 };
      // Time spent waiting on the shared request budget: shown in heartbeats and the run's progress.
      let budgetWaitMs = 0;
      const metrics = applyMetrics(ctx.metricMeter.withTags({ sync: input.sync, destination: dest.name, kind: dest.kind }));
      // A write may legitimately take long (a destination's Retry-After, a slow bulk call).
      return withKeepAlive(ctx, () => progress, async () => {
        const destination = openDestination(
          dest,
          withWaitCount(deps.connectorContext, (ms) => {
            budgetWaitMs += ms;
            metrics.budgetWait(ms);
          }),
        );
        const result = await using(destination, async (d) => {
          if (ctx.info.attempt === 1 && input.slice.from === 0) await d.check(dest.object);
          return applySlice({
            runId: input.runId,
            dest,
            idField: identityFieldOf(input.primaryKey, dest) as string,
            slice: input.slice,
            store: deps.store,
            destination: d,
            provenance: dest.provenance
              ? { runId: input.runId, sync: input.sync, mappingVersion: mappingVersion(dest), syncedAt: input.provenance?.syncedAt ?? new Date().toISOString(), modelVersion: input.provenance?.modelVersion }
              : undefined,
            beforeImages: input.beforeImages ? { safety: new SafetyStore(deps.store.driver), dest, mappedFields: writtenFields(dest) } : undefined,
            autoHalt: input.autoHalt,
            onChunk: ({ chunk, outcomes, written, writeMs, waitedMs }) => {
              progress = { chunk, ...outcomes, ...(budgetWaitMs ? { budgetWaitMs } : {}) };
              ctx.heartbeat(progress);
              metrics.chunk(written, writeMs, waitedMs);
            },
          });
        });
        return budgetWaitMs > 0 ? { ...result, budgetWaitMs } : result;
      });
    });
  };
}

/** The top-level destination fields a mapping (and provenance) writes. */
export function writtenFields(dest: DestinationSpec): string[] {
  const names = [...Object.keys(dest.mapping), ...Object.values(dest.provenance ?? {})].map((f) => f.split('.')[0]);
  return [...new Set(names)];
}

/** The context with a budget whose waits are reported to `onWait` (the same budget underneath). */
function withWaitCount(ctx: ConnectorContext, onWait: (ms: number) => void): ConnectorContext {
  const budget = ctx.budget;
  if (!budget) return ctx;
  return {
    ...ctx,
    budget: {
      take: async (account, limit, cost) => {
        const waited = await budget.take(account, limit, cost);
        onWait(waited);
        return waited;
      },
      penalize: (account, ms) => budget.penalize(account, ms),
    },
  };
}
